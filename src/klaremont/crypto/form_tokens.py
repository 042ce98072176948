"""Anti-forgery tokens for forms, signed with ``itsdangerous`` under the platform secret.

Two kinds, each with its own salt so a token made for one purpose never passes for another:

* **bound** to a session key (:func:`bound_token`): the signature of the key, no expiry of
  its own -- it dies with the session;
* **timed** (:func:`timed_token`): a random nonce and the issue time, signed, accepted for
  ``max_age`` -- a form for a visitor who may refuse every cookie carries its own proof.

Time comes from the platform clock (tests move it), not the wall clock. The digest is
SHA-256 (``itsdangerous`` defaults to SHA-1). These are not the keyed digests used to look
values up (:mod:`klaremont.crypto.keyed`, blind indexes): those are never handed out.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, Signer, TimestampSigner

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime, timedelta

_NONCE_BYTES = 12


class _ClockSigner(TimestampSigner):
    """A timestamp signer that reads the platform clock (``get_timestamp`` is documented
    as the method to override)."""

    def __init__(self, secret: str, salt: str, now: Callable[[], datetime]) -> None:
        super().__init__(secret, salt=salt, digest_method=hashlib.sha256)
        self._now = now

    def get_timestamp(self) -> int:
        """The platform clock's time, in whole seconds."""
        return int(self._now().timestamp())


def _signer(secret: str, salt: str) -> Signer:
    return Signer(secret, salt=salt, digest_method=hashlib.sha256)


def bound_token(secret: str, salt: str, bound_to: str) -> str:
    """The token of one session: the signature of its key for this purpose."""
    return _signer(secret, salt).get_signature(bound_to).decode("ascii")


def bound_token_valid(secret: str, salt: str, bound_to: str, token: str | None) -> bool:
    """True when ``token`` is this session's token for this purpose (constant time)."""
    return bool(token) and _signer(secret, salt).verify_signature(bound_to, token or "")


def timed_token(secret: str, salt: str, now: datetime) -> str:
    """A fresh self-proving token: nonce, issue time and signature."""
    nonce = secrets.token_urlsafe(_NONCE_BYTES)
    return _ClockSigner(secret, salt, lambda: now).sign(nonce).decode("ascii")


def timed_token_valid(
    secret: str, salt: str, token: str | None, now: datetime, max_age: timedelta
) -> bool:
    """True for an untampered token of this purpose issued at most ``max_age`` ago (and not
    in the future)."""
    if not token:
        return False
    signer = _ClockSigner(secret, salt, lambda: now)
    try:
        signer.unsign(token, max_age=int(max_age.total_seconds()))
    except BadSignature:  # tampered, another purpose, expired, or not a token at all
        return False
    return True
