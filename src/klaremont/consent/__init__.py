"""Consent and cookies: versioned notices, marketing and cookie consent, the marketing audience.

Importing this package registers the consent module's marketing veto with the purpose
check, so a marketing read of an opted-out person is refused wherever it happens.
"""

from __future__ import annotations

from klaremont.consent.audience import register_veto

register_veto()
