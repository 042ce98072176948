"""Random keys, their digests, and anti-forgery tokens that need no cookie.

A signed-in form carries the session key's signature (dies with the session). A form shown
to a visitor who is not signed in -- and may refuse every cookie -- carries a token that
is its own proof: a nonce and its issue time signed under the platform secret, accepted
for :data:`FORM_TOKEN_MAX_AGE`. Both are :mod:`klaremont.crypto.form_tokens` (itsdangerous)
with a salt of their own. The page routes also refuse cross-site posts (``Origin`` and
``Sec-Fetch-Site``), so a token fetched by another site is no use to it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from klaremont.crypto import form_tokens

FORM_TOKEN_MAX_AGE = timedelta(hours=2)
SESSION_SALT = "klaremont.privacy.session-form"
VISITOR_SALT = "klaremont.privacy.visitor-form"


def new_key() -> str:
    """A fresh random key: 256 bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (session key, form handle)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def session_csrf(platform_secret: str, session_key: str) -> str:
    """The anti-forgery token of one customer session."""
    return form_tokens.bound_token(platform_secret, SESSION_SALT, session_key)


def session_csrf_valid(platform_secret: str, session_key: str, token: str | None) -> bool:
    """True when ``token`` is this customer session's anti-forgery token."""
    return form_tokens.bound_token_valid(platform_secret, SESSION_SALT, session_key, token)


def form_token(platform_secret: str, now: datetime) -> str:
    """A cookie-free anti-forgery token for a visitor's form."""
    return form_tokens.timed_token(platform_secret, VISITOR_SALT, now)


def form_token_valid(platform_secret: str, token: str | None, now: datetime) -> bool:
    """True for an untampered token issued within :data:`FORM_TOKEN_MAX_AGE`."""
    return form_tokens.timed_token_valid(
        platform_secret, VISITOR_SALT, token, now, FORM_TOKEN_MAX_AGE
    )
