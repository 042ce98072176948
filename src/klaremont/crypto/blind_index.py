"""HMAC blind indexes: find a sealed e-mail address or phone number without decrypting.

The index of a value is ``HMAC-SHA256(kind key, normalised value)`` in hex, where each
kind ("email", "phone") has its own key derived from the key ring's index key. Without
the index key nobody can test guesses against the index (a plain hash of an e-mail
address is not a secret: it is a lookup table away from the address), and an e-mail
index cannot be matched against a phone index.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import TYPE_CHECKING, Final

from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

INDEX_HEX_LENGTH: Final = 64
_E164_MAX_DIGITS = 15
_E164_MIN_DIGITS = 8
_UK_NATIONAL_DIGITS = 10  # after the trunk 0: 7700 900123, 20 7946 0000
_UK_INTERNATIONAL_DIGITS = 12  # 44 followed by the national digits
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_DIGITS = re.compile(r"\+?[0-9]+")


def normalise_email(value: str) -> str:
    """NFKC, surrounding whitespace removed, lower case."""
    email = unicodedata.normalize("NFKC", value).strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed.single("email", "must be an e-mail address")
    return email


def normalise_uk_phone(value: str) -> str:
    """E.164: ``07700 900123``, ``+44 (0)7700 900123`` and ``0044 7700 900123`` all become
    ``+447700900123``; other international numbers keep their country code.
    """
    text = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", value))
    if not _DIGITS.fullmatch(text):
        raise ValidationFailed.single("phone", "must be a phone number: digits, spaces, + ( ) -")
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = "44" + text[1:]
    elif text.startswith("44") and len(text) == _UK_INTERNATIONAL_DIGITS:
        digits = text
    elif len(text) == _UK_NATIONAL_DIGITS:
        digits = "44" + text
    else:
        raise ValidationFailed.single("phone", "must be a UK number or start with +country code")
    if digits.startswith("440"):  # "+44 0 20 ..." keeps a trunk 0 it should have dropped
        digits = "44" + digits[3:]
    if not _E164_MIN_DIGITS <= len(digits) <= _E164_MAX_DIGITS or digits.startswith("0"):
        raise ValidationFailed.single("phone", "must have 8 to 15 digits with its country code")
    return "+" + digits


NORMALISERS: Final[Mapping[str, Callable[[str], str]]] = {
    "email": normalise_email,
    "phone": normalise_uk_phone,
}


class BlindIndexer:
    """Computes blind indexes for every kind in :data:`NORMALISERS` under one index key."""

    __slots__ = ("_macs",)

    def __init__(self, index_key: bytes) -> None:
        """Derive one HMAC key per kind; the index key itself is not kept."""
        self._macs = {
            kind: hmac.new(
                hmac.digest(index_key, b"klaremont blind index kind\x00" + kind.encode(), "sha256"),
                digestmod=hashlib.sha256,
            )
            for kind in NORMALISERS
        }

    def __repr__(self) -> str:
        return f"BlindIndexer(kinds={sorted(self._macs)})"

    def __reduce__(self) -> tuple[object, ...]:
        """Refuse pickling: the derived keys stay in this one object."""
        raise TypeError("a BlindIndexer cannot be pickled or copied")

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of value this indexer knows."""
        return tuple(self._macs)

    def normalise(self, kind: str, value: str) -> str:
        """The canonical form of ``value`` for ``kind`` (what the index is computed over)."""
        try:
            normaliser = NORMALISERS[kind]
        except KeyError:
            msg = f"no blind index kind {kind!r}; known: {', '.join(NORMALISERS)}"
            raise ValueError(msg) from None
        return normaliser(value)

    def index(self, kind: str, value: str) -> str:
        """The 64-character hex blind index of ``value`` (normalised first)."""
        normalised = self.normalise(kind, value)
        mac = self._macs[kind].copy()
        mac.update(normalised.encode())
        return mac.hexdigest()
