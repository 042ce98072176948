"""Random keys, their digests, and anti-forgery tokens that need no cookie.

A signed-in form carries an HMAC of the session key (dies with the session). A form shown
to a visitor who is not signed in -- and may refuse every cookie -- carries a token that
is its own proof: issue time, a nonce and an HMAC of both under the platform secret,
accepted for :data:`FORM_TOKEN_MAX_AGE`. The page routes also refuse cross-site posts
(``Origin`` and ``Sec-Fetch-Site``), so a token fetched by another site is no use to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

FORM_TOKEN_MAX_AGE = timedelta(hours=2)
_SESSION_LABEL = b"klaremont customer csrf\x00"
_FORM_LABEL = b"klaremont privacy form\x00"


def new_key() -> str:
    """A fresh random key: 256 bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (session key, form handle)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def session_csrf(platform_secret: str, session_key: str) -> str:
    """The anti-forgery token of one customer session."""
    mac = hmac.new(platform_secret.encode(), _SESSION_LABEL + session_key.encode(), "sha256")
    return mac.hexdigest()


def form_token(platform_secret: str, now: datetime) -> str:
    """A cookie-free anti-forgery token for a visitor's form."""
    stamp = str(int(now.timestamp()))
    nonce = secrets.token_urlsafe(12)
    return f"{stamp}.{nonce}.{_form_mac(platform_secret, stamp, nonce)}"


def form_token_valid(platform_secret: str, token: str | None, now: datetime) -> bool:
    """True for an untampered token issued within :data:`FORM_TOKEN_MAX_AGE`."""
    if not token or token.count(".") != 2:  # noqa: PLR2004 - stamp.nonce.mac
        return False
    stamp, nonce, mac = token.split(".")
    if not stamp.isdigit() or not hmac.compare_digest(
        _form_mac(platform_secret, stamp, nonce), mac
    ):
        return False
    age = now.timestamp() - int(stamp)
    return -60 <= age <= FORM_TOKEN_MAX_AGE.total_seconds()  # noqa: PLR2004 - a minute of skew


def _form_mac(platform_secret: str, stamp: str, nonce: str) -> str:
    message = _FORM_LABEL + stamp.encode() + b"." + nonce.encode()
    return hmac.new(platform_secret.encode(), message, "sha256").hexdigest()
