"""Keep secrets and card data out of audit details (PCI DSS 10.2.2, 3.3; DP-SECURE).

The audit log is kept for years and read by auditors, so its ``details`` may carry
neither a secret nor cardholder data. :func:`check_details` refuses, naming the key:

* a key that names a secret or card data (``password``, ``token``, ``cvv``, ``pan``,
  ``card_number``, ``track1`` ...), at any depth;
* any text (a value, or a key) holding card data, in any spelling the card detector
  (:mod:`klaremont.detectors.cards`) recognises.

The error names where the problem is and never repeats the value. :func:`redact_details`
runs first when an event is recorded: it masks card numbers in values to their last four
digits and withholds track data, so text a person typed (a username at a failed sign-in,
a reason) is stored masked instead of failing the request; keys naming a secret are still
refused, since they are chosen by code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from klaremont.detectors.cards import (
    PAN_MAX_DIGITS,
    PAN_MIN_DIGITS,
    contains_card_data,
    luhn_valid,
    redact,
)

__all__ = [
    "PAN_MAX_DIGITS",
    "PAN_MIN_DIGITS",
    "AuditDetailsRefused",
    "check_details",
    "contains_pan",
    "key_is_forbidden",
    "luhn_valid",
    "redact_details",
]

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
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
KEY_WITHHELD = "[key holding card data]"


class AuditDetailsRefused(ValueError):
    """Audit details carried a secret or card data; the message names the key, never the value."""


def contains_pan(text: str) -> bool:
    """True when ``text`` holds a card number or track data in any spelling (the one detector)."""
    return contains_card_data(text)


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


def redact_details(value: Any) -> Any:
    """``value`` with card data in every string (values and keys) masked, at any depth."""
    if isinstance(value, Mapping):
        return {_redact_key(k): redact_details(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_details(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        masked = redact(text)
        return value if masked == text else masked
    return value


def _redact_key(key: Any) -> Any:
    if isinstance(key, str | int) and not isinstance(key, bool) and contains_card_data(str(key)):
        return KEY_WITHHELD
    return key
