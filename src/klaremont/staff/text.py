"""Free text typed by staff (reasons, notes, names of tokens): checked before it is stored.

Such text ends up in tables and audit events, so it may carry neither control characters
(log injection) nor card data in any spelling (IS-SENS-MASK: no PAN where it does not
belong); either is refused with the field named, never echoed. Text typed by an unknown
caller (a username at a failed sign-in) is never recorded at all, only a keyed digest.
"""

from __future__ import annotations

import hmac
import re

from klaremont.audit.redaction import contains_pan
from klaremont.errors import ValidationFailed
from klaremont.staff.lookup import username_key

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNKNOWN_NAME_LABEL = b"staff-sign-in:unknown-username\x00"


def plain_text(field: str, value: str, *, max_length: int, min_length: int = 1) -> str:
    """``value`` trimmed, or :class:`ValidationFailed` naming the broken rule."""
    text = value.strip()
    if not min_length <= len(text) <= max_length:
        raise ValidationFailed.single(field, f"must be {min_length} to {max_length} characters")
    if _CONTROL.search(text):
        raise ValidationFailed.single(field, "must not contain control characters")
    if contains_pan(text):
        raise ValidationFailed.single(field, "must not contain a card number")
    return text


def unknown_name_digest(platform_secret: str, typed: str) -> str:
    """A keyed digest of a username that matched no account (a failed sign-in).

    The text as typed is never recorded (it may be a password typed in the wrong box, or a
    card number); the digest, keyed by the platform secret and taken over the lookup form
    of the name (NFKC, trimmed, lower case), lets an investigator tie repeated attempts at
    the same name together, and check a name they suspect, without storing it.
    """
    message = _UNKNOWN_NAME_LABEL + username_key(typed).encode("utf-8", "surrogatepass")
    return hmac.new(platform_secret.encode(), message, "sha256").hexdigest()[:32]
