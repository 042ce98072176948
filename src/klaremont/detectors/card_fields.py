"""The card-data guard: refuse CVVs, track data and stray card numbers in any input.

One scanner for every input the platform takes (IS-SENS-CVV, IS-SENS-TRACK, IS-SENS-MASK):
:func:`scan` walks a decoded JSON body, a form, query parameters or a pydantic model and
reports, for each offending field, the rule it broke:

* a **key** naming a card validation code (``cvv``, ``cvc``, ``cvv2``, ``cid``,
  ``security_code`` ...), track data (``track1``, ``track2``, ``magstripe`` ...) or a card
  number (``pan``, ``card_number`` ...) with a non-empty value;
* a **value** holding track-1 or track-2 data, or a card number, in any spelling the one
  card detector (:mod:`klaremont.detectors.cards`) recognises -- in any string, in any
  field. The detector reads text as it will be stored (NFKC, invisible characters
  dropped, whitespace collapsed, any separator between digit groups), so a value cannot
  pass the guard and then be normalised into card data by a schema or a service.

The card tokenise endpoint names the fields where a card number belongs
(``allow_pan_fields``); nowhere else may one appear. Findings carry the field path and
the rule, never the value, so a refusal can be shown, logged and audited safely. The web
adapters (:mod:`klaremont.web.card_guard`) run it on every request before any route does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Final

from pydantic import BaseModel

from klaremont.detectors.cards import card_code_in, card_data_in
from klaremont.errors import FieldProblem, ValidationFailed

MAX_DEPTH: Final = 32
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORDS = re.compile(r"[^a-z0-9]+")
_UNSAFE_KEY = re.compile(r"[^A-Za-z0-9_-]")


class Rule(StrEnum):
    """Which card-data rule an input broke."""

    CVV = "cvv"
    TRACK = "track-data"
    PAN = "card-number"

    @property
    def text(self) -> str:
        """The rule, as the 422 problem and the audit event state it."""
        return _RULE_TEXT[self]


_RULE_TEXT: Final = {
    Rule.CVV: "card validation codes (CVV/CVC) are never accepted or stored (IS-SENS-CVV)",
    Rule.TRACK: "magnetic-stripe or chip track data is never accepted or stored (IS-SENS-TRACK)",
    Rule.PAN: (
        "a full card number is accepted only by the card tokenise endpoint; send at most "
        "the last four digits elsewhere (IS-SENS-MASK)"
    ),
}

#: the same rules as a person at a page reads them (no endpoint, no clause id)
PAGE_TEXT: Final = {
    _RULE_TEXT[Rule.CVV]: "must not hold a card security code (CVV/CVC): never type one here",
    _RULE_TEXT[Rule.TRACK]: "must not hold data read from a card's stripe or chip",
    _RULE_TEXT[Rule.PAN]: (
        "must not hold a full card number: write at most its last four digits "
        "(card numbers are only ever typed into the card payment form)"
    ),
}

_KEY_WORDS: Final[dict[Rule, frozenset[str]]] = {
    Rule.CVV: frozenset(
        {"cvv", "cvv2", "cvc", "cvc2", "cid", "cav2", "csc", "cvn", "cvn2", "cvd", "cvd2"}
    ),
    Rule.TRACK: frozenset({"track1", "track2", "track3", "magstripe"}),
    Rule.PAN: frozenset({"pan", "ccn", "ccnum", "ccnumber"}),
}
_KEY_FRAGMENTS: Final[dict[Rule, tuple[str, ...]]] = {
    Rule.CVV: ("securitycode", "cardverification", "cardvalidation", "verificationvalue"),
    Rule.TRACK: (
        "track1",
        "track2",
        "track3",
        "trackdata",
        "magstripe",
        "magneticstripe",
        "stripedata",
        "swipedata",
    ),
    Rule.PAN: (
        "cardnumber",
        "cardnum",
        "cardno",
        "primaryaccountnumber",
        "creditcard",
        "debitcard",
        "cardpan",
    ),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One field holding card data, and the rule it broke (never the value)."""

    field: str
    rule: Rule

    def problem(self) -> FieldProblem:
        """The field problem of a 422 response."""
        return FieldProblem(self.field, self.rule.text)


class CardDataRefused(ValidationFailed):
    """Input carried a CVV, track data or a card number where none may be (422)."""

    code = "card-data-refused"
    title = "Card data is not accepted here"

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        fields = ", ".join(f"{f.field} ({f.rule.value})" for f in findings)
        super().__init__(
            f"Refused: {fields}. Nothing was stored.",
            problems=[f.problem() for f in findings],
        )


@lru_cache(maxsize=4096)
def key_rule(key: str) -> Rule | None:
    """The rule a field *name* breaks when it carries a value, if any."""
    words = [w for w in _WORDS.split(_CAMEL.sub("_", key).lower()) if w]
    compact = "".join(words)
    for rule in (Rule.CVV, Rule.TRACK, Rule.PAN):
        if any(w in _KEY_WORDS[rule] for w in words) or compact in _KEY_WORDS[rule]:
            return rule
        if any(fragment in compact for fragment in _KEY_FRAGMENTS[rule]):
            return rule
    return None


def value_rule(text: str) -> Rule | None:
    """The rule a text *value* breaks, if any (track data first, then a card number, then
    a security code written after its name, as in "cvv 123")."""
    kind = card_data_in(text)
    if kind is None:
        return Rule.CVV if card_code_in(text) else None
    return Rule.TRACK if kind == "track" else Rule.PAN


def safe_key(key: object) -> str:
    """A field name fit for a response, a log and the audit log (a key never carries a PAN)."""
    text = str(key)
    if value_rule(text) is not None:
        return "<key holding card data>"
    cleaned = _UNSAFE_KEY.sub("_", text)[:64]
    return cleaned or "<empty key>"


def _present(value: Any) -> bool:
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return value is not None


def scan(
    value: Any,
    *,
    allow_pan_fields: frozenset[str] = frozenset(),
    path: str = "",
) -> list[Finding]:
    """Every field of ``value`` holding card data, once each, in document order."""
    found: dict[str, Finding] = {}
    _walk(value, path, allow_pan_fields, found, 0)
    return list(found.values())


def check(value: Any, *, allow_pan_fields: frozenset[str] = frozenset(), path: str = "") -> None:
    """Raise :class:`CardDataRefused` when :func:`scan` finds anything."""
    findings = scan(value, allow_pan_fields=allow_pan_fields, path=path)
    if findings:
        raise CardDataRefused(findings)


def check_model(model: BaseModel, *, allow_pan_fields: frozenset[str] = frozenset()) -> None:
    """:func:`check` a pydantic model's fields (for services fed by the CLI or other code)."""
    check(model.model_dump(), allow_pan_fields=allow_pan_fields)


def _walk(
    value: Any, path: str, allowed: frozenset[str], found: dict[str, Finding], depth: int
) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, Mapping):
        _walk_mapping(value, path, allowed, found, depth)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", allowed, found, depth + 1)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        rule = value_rule(str(value))
        if rule is not None and not (rule is Rule.PAN and path in allowed):
            where = path or "body"
            found.setdefault(where, Finding(where, rule))


def _walk_mapping(
    value: Mapping[Any, Any],
    path: str,
    allowed: frozenset[str],
    found: dict[str, Finding],
    depth: int,
) -> None:
    for key, item in value.items():
        child = f"{path}.{safe_key(key)}" if path else safe_key(key)
        rule = key_rule(str(key)) or value_rule(str(key))
        if rule is not None and _present(item) and not (rule is Rule.PAN and child in allowed):
            found.setdefault(child, Finding(child, rule))
            continue
        _walk(item, child, allowed, found, depth + 1)
