"""Keep secrets and card data out of audit details (PCI DSS 10.2.2, 3.3; DP-SECURE).

The audit log is kept for years and read by auditors, so its ``details`` may carry
neither a secret nor cardholder data. :func:`check_details` refuses, naming the key:

* a key that names a secret or card data (``password``, ``token``, ``cvv``, ``pan``,
  ``card_number``, ``track1`` ...), at any depth;
* any text (a value, or a key) holding a Luhn-valid run of 13-19 digits, written plain
  or grouped with spaces or dashes -- the shape of a primary account number.

The error names where the problem is and never repeats the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# Whole words (after splitting snake_case, kebab-case and camelCase) that name a secret.
FORBIDDEN_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "cvv",
        "cvv2",
        "cvc",
        "cvc2",
        "cav2",
        "pan",
        "pin",
        "otp",
        "totp",
        "track1",
        "track2",
    }
)
# Runs of characters (after lower-casing and dropping separators) that name a secret.
FORBIDDEN_FRAGMENTS = (
    "password",
    "secret",
    "token",
    "cardnumber",
    "cardno",
    "accountnumber",
    "trackdata",
    "track1",
    "track2",
    "magstripe",
    "privatekey",
    "apikey",
    "securitycode",
    "cardverification",
)
PAN_MIN_DIGITS = 13
PAN_MAX_DIGITS = 19

_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# A run of digit groups joined by single spaces or dashes, not glued to letters or digits
# (so the digits inside a hex digest or an identifier are not read as a card number).
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:[ -][0-9]+)*(?![0-9A-Za-z])")
# Canonical UUIDs are identifiers, never card numbers, even when all their groups are digits.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_GROUP_SPLIT = re.compile(r"[ -]")


class AuditDetailsRefused(ValueError):
    """Audit details carried a secret or card data; the message names the key, never the value."""


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (ASCII digits only) passes the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:  # noqa: PLR2004 - the Luhn rule
                value -= 9
        total += value
    return total % 10 == 0


def contains_pan(text: str) -> bool:
    """True when ``text`` holds a Luhn-valid 13-19 digit sequence (plain, spaced or dashed).

    Within a run of digit groups every span of whole groups is tried, so a card number
    followed by a separated expiry or security code is still found; a digit string longer
    than 19 digits with no separators is an identifier, not a card number.
    """
    for match in _DIGIT_RUN.finditer(_UUID.sub(" ", text)):
        run = match.group()
        if sum(c.isdigit() for c in run) < PAN_MIN_DIGITS:
            continue
        groups = _GROUP_SPLIT.split(run)
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > PAN_MAX_DIGITS:
                    break
                if len(digits) >= PAN_MIN_DIGITS and digits.isascii() and luhn_valid(digits):
                    return True
    return False


def key_is_forbidden(key: str) -> bool:
    """True when a details key names a secret or card data."""
    spaced = _CAMEL.sub("_", key).lower()
    words = [w for w in _WORD_SPLIT.split(spaced) if w]
    if any(word in FORBIDDEN_WORDS for word in words):
        return True
    compact = "".join(words)
    return any(fragment in compact for fragment in FORBIDDEN_FRAGMENTS)


def _walk_mapping(value: Mapping[Any, Any], path: str) -> Iterator[tuple[str, str]]:
    for key, item in value.items():
        key_text = str(key)
        child = f"{path}.{key_text}" if path else key_text
        if key_is_forbidden(key_text):
            yield child, "names a secret or card data"
        elif contains_pan(key_text):
            yield path or "details", "has a key that contains a card number"
        yield from _walk(item, child)


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield ``(path, problem)`` for every refused key or value under ``value``."""
    if isinstance(value, Mapping):
        yield from _walk_mapping(value, path)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(value, str | int) and not isinstance(value, bool) and contains_pan(str(value)):
        yield path or "details", "contains a card number"


def check_details(details: Mapping[str, Any] | None) -> None:
    """Refuse details that carry a secret or card data, naming the first offending key."""
    if not details:
        return
    for path, problem in _walk(details, ""):
        msg = f"audit details refused: {path!r} {problem}"
        raise AuditDetailsRefused(msg)
