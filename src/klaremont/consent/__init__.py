"""Consent and cookies: versioned notices, marketing and cookie consent, the marketing audience.

The consent module's marketing veto is plugged into the purpose check by the capability's
declaration (``extensions``), so a marketing read of an opted-out person is refused
wherever it happens.
"""
