"""Guest codes and MAC addresses: how they are written, read back and digested.

A guest code is ten characters from an alphabet without look-alikes (no 0/O, 1/I/L, no
vowels U and V beside each other's shapes), shown as ``ABCDE-FGHJK``: about 49 bits, made
with :mod:`secrets`. Typed back, case, spaces and dashes do not matter. Only a keyed
HMAC-SHA256 digest under the platform secret is stored: fast enough for the RADIUS path and
useless to whoever reads the table without the secret (the codes' own entropy and the
login throttle stand against guessing).
"""

from __future__ import annotations

import hmac
import re
import secrets

from klaremont.crypto.keyed import keyed_digest

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 10
GROUP = 5
_LABEL = "wifi-guest-code"
TICKET_PREFIX = "T-"  # a login page ticket's user name starts so
_MAC_DIGITS = re.compile(r"[0-9a-f]{12}")
_MAC_SEPARATORS = re.compile(r"[\s:.\-]")


def new_code() -> str:
    """A fresh random guest code, grouped for reading (``ABCDE-FGHJK``)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:GROUP]}-{raw[GROUP:]}"


def normalise_code(typed: str) -> str | None:
    """The code as stored (``ABCDEFGHJK``), or ``None`` when it cannot be a guest code."""
    cleaned = re.sub(r"[\s\-]", "", typed).upper()
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def code_digest(platform_secret: str, code: str) -> str:
    """The stored form of a normalised code."""
    return keyed_digest(platform_secret, _LABEL, code)


def normalise_mac(value: str) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` from any spelling RADIUS clients use, or ``None``.

    Accepts ``AA-BB-CC-DD-EE-FF``, ``aa:bb:cc:dd:ee:ff``, ``AABBCCDDEEFF``,
    ``aabb.ccdd.eeff`` (Cisco) and ``AABB-CCDD-EEFF``, in either case.
    """
    digits = _MAC_SEPARATORS.sub("", value.strip()).lower()
    if not _MAC_DIGITS.fullmatch(digits):
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def is_randomised(mac: str) -> bool:
    """True for a locally administered address (a phone's private, randomised MAC)."""
    return bool(int(mac[:2], 16) & 0x02)


def ticket_password(platform_key: str, ticket: str) -> str:
    """The one-time password of a login page's ticket (derived, never stored)."""
    digest = hmac.new(platform_key.encode(), b"wifi-ticket\x00" + ticket.encode(), "sha256")
    return digest.hexdigest()[:32]
