"""One row at a time: each column's rule applied to a source row, sealed values re-sealed.

Sealed columns are opened with the production crypto context (inside the run only) and
the fake is sealed under the copy's own keystore, for the copy's (pseudonymous) subject
and row id; their blind indexes are recomputed from the fake value. What verification
needs is gathered here as keyed digests: the source values of every changed personal
column, and every fake value made (a fake that happens to equal some source value is a
coincidence of the word lists, not a leak; a fake equal to its own source is a leak).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from argon2.low_level import Type, hash_secret

from klaremont.sanitize.fakes import Faker, as_uuid
from klaremont.sanitize.rules import RANKED, Kind, Rule, TablePlan

if TYPE_CHECKING:
    from klaremont.crypto.context import CryptoContext

MIN_COMPARED: Final = 6  # shorter values (codes, flags) say nothing about a person
_RETRIES: Final = 8
_IDENTITY_ALLOWED: Final = frozenset({"uuid", "actor", "reference"})


@dataclass
class Evidence:
    """Keyed digests gathered while copying (no plaintext is kept)."""

    source: set[bytes] = field(default_factory=set)
    fakes: set[bytes] = field(default_factory=set)
    unchanged: dict[str, int] = field(default_factory=dict)  # table.column -> fakes == source

    def note_unchanged(self, where: str) -> None:
        """A pseudonymised value came out equal to its source."""
        self.unchanged[where] = self.unchanged.get(where, 0) + 1


def comparable(value: Any) -> str | None:
    """The text a value is compared as, or ``None`` when too short to matter."""
    if value is None or isinstance(value, (bool, int, float)):
        return None
    text = value.hex() if isinstance(value, (bytes, memoryview)) else str(value)
    return text if len(text) >= MIN_COMPARED else None


def rank_key(strategy: str, value: str) -> str | None:
    """What a ranked strategy ranks ``value`` as (``None``: not ranked, e.g. an id)."""
    if strategy == "actor":
        kind, sep, rest = value.partition(":")
        target = rest if sep else value
        try:
            uuid.UUID(target)
        except ValueError:
            return None if (sep and kind == "system") or not target else target.strip().casefold()
        return None
    return value.strip().casefold()


class Transformer:
    """Applies a table's rules to its rows."""

    def __init__(self, faker: Faker, source: CryptoContext, target: CryptoContext) -> None:
        """Bind the fakes, the production crypto context and the copy's."""
        self.faker = faker
        self.source = source
        self.target = target
        self.evidence = Evidence()
        secret = faker.digest("password", "unusable")
        salt = faker.digest("password salt", "unusable")[:16]
        #: a valid hash of a secret nobody knows: accounts cannot sign in until reset
        self.unusable_password = hash_secret(secret, salt, 2, 19456, 1, 32, Type.ID).decode()

    def fake(self, strategy: str, value: Any, row: dict[str, Any]) -> Any:  # noqa: PLR0911 - one return per strategy reads best
        """The fake of one value."""
        f = self.faker
        if strategy == "uuid":
            return f.uuid(as_uuid(value))
        text = str(value)
        match strategy:
            case "email":
                return f.email(text)
            case "username":
                return f.username(text)
            case "actor":
                return f.actor(text)
            case "phone" | "mobile":
                return f.phone(text, mobile=strategy == "mobile")
            case "card_token":
                return f.card_token(row["id"], row.get("brand"))
            case "card_last4":
                return f.test_card(row["id"], row.get("brand"))[-4:]
            case "address":
                return f"{f.address_line(text)}, {f.town(text)}, {f.postcode(text)}"
        simple = {
            "full_name": f.full_name,
            "date_of_birth": f.date_of_birth,
            "reference": f.reference,
            "address_line": f.address_line,
            "town": f.town,
            "postcode": f.postcode,
            "text": f.text,
            "hex_digest": f.hex_digest,
            "mac": f.mac,
            "ip": f.ip,
        }
        return simple[strategy](text)

    def apply(self, plan: TablePlan, row: dict[str, Any]) -> dict[str, Any]:
        """The copy's row for one source row."""
        out: dict[str, Any] = {}
        name = plan.name
        sealed_plain: dict[str, str | None] = {}
        for column, stored in row.items():
            rule = plan.rules[column]
            value = stored
            if column in plan.sealed and stored is not None:
                value = self.source.open(
                    as_uuid(row["subject_id"]), name, column, as_uuid(row["id"]), bytes(stored)
                )
            new = self._one(plan, column, rule, value, row)
            if column in plan.sealed:
                sealed_plain[column] = new
            else:
                out[column] = new
        for column, plain in sealed_plain.items():
            out[column] = None
            if plain is not None:
                out[column] = self.target.seal(
                    as_uuid(out["subject_id"]), name, column, as_uuid(out["id"]), plain
                )
            index = plan.sealed[column]
            if index is not None:
                out[f"{column}_bidx"] = (
                    None if plain is None else self.target.blind_index(index, plain)
                )
        return out

    def _one(
        self, plan: TablePlan, column: str, rule: Rule, value: Any, row: dict[str, Any]
    ) -> Any:
        if rule.kind in (Kind.KEEP, Kind.DERIVED) or value is None:
            return value
        new: Any
        if rule.kind is Kind.NULL:
            new = None
        elif rule.kind is Kind.GENERALISE:
            new = self.unusable_password if rule.how == "unusable_password" else json.dumps({})
        else:
            new = self.fake(rule.how, value, row)
            tries = 0
            # a pick from a short list may land on the source value itself: pick again
            while new == value and rule.how not in RANKED and tries < _RETRIES:
                tries += 1
                new = self.fake(rule.how, f"{value}\x00{tries}", row)
        self._gather(plan, column, rule, value, new)
        return new

    def _gather(self, plan: TablePlan, column: str, rule: Rule, value: Any, new: Any) -> None:
        """Source values of personal tables; the fakes of every table."""
        table = plan.name
        before, after = comparable(value), comparable(new)
        if before is not None and plan.personal:
            self.evidence.source.add(self.faker.digest("verify", before))
        if after is not None:
            self.evidence.fakes.add(self.faker.digest("verify", after))
        if (
            before is not None
            and before == after
            and rule.how not in _IDENTITY_ALLOWED
            and rule.kind is Kind.PSEUDONYMISE
        ):
            self.evidence.note_unchanged(f"{table}.{column}")

    def ranked_inputs(self, plan: TablePlan, row: dict[str, Any]) -> list[tuple[str, str]]:
        """(namespace, key) of every ranked value of a source row (the pre-pass)."""
        found: list[tuple[str, str]] = []
        for column, rule in plan.rules.items():
            value = row[column]
            if rule.kind is not Kind.PSEUDONYMISE or rule.how not in RANKED or value is None:
                continue
            if column in plan.sealed:
                value = self.source.open(
                    as_uuid(row["subject_id"]), plan.name, column, as_uuid(row["id"]), bytes(value)
                )
            key = rank_key(rule.how, str(value))
            if key is not None:
                found.append((RANKED[rule.how], key))
        return found
