"""The rules of a sanitised copy, one per column of every table, checked before any write.

The rules are data (``rules.toml`` beside this module): a table is dropped (``drop = "why"``)
or lists every column with one of ``keep``, ``null``, ``generalise:<how>`` or
``pseudonymise:<strategy>``. Sealed columns take their rule on the opened value; the blind
index beside a sealed column is ``derived:blind_index`` (recomputed from the fake value).

Which tables hold personal data comes from the platform's own tags: a table with a
``data_category`` (:mod:`klaremont.db.tags`), a ``subject_id`` column (what the rights
machinery treats as the person's rows) or a sealed field. :func:`plan` fails closed: a table
with no rules, or a column of a kept table with no rule, stops the run before anything is
written, named. A table without personal data must list its columns too; only the message
says which kind it is.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from klaremont.db.base import Base
from klaremont.db.registry import load_all_models
from klaremont.db.tags import DATA_CATEGORY

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy import Table

RULES_FILE: Final = Path(__file__).with_name("rules.toml")
SUBJECT_COLUMNS: Final = ("subject_id", "subject_ref")


class Kind(StrEnum):
    """What happens to a column."""

    KEEP = "keep"
    NULL = "null"
    GENERALISE = "generalise"
    PSEUDONYMISE = "pseudonymise"
    DERIVED = "derived"


STRATEGIES: Final = frozenset(
    {
        "uuid",
        "full_name",
        "date_of_birth",
        "email",
        "phone",
        "mobile",
        "reference",
        "address_line",
        "address",
        "town",
        "postcode",
        "card_token",
        "card_last4",
        "username",
        "actor",
        "text",
        "hex_digest",
        "mac",
        "ip",
    }
)
GENERALISATIONS: Final = frozenset({"unusable_password", "empty_json"})
#: strategies whose fakes must be unique: ranked over every source value first
RANKED: Final = {"email": "email", "username": "username", "actor": "username"}


class RuleError(Exception):
    """The rules do not cover the data store: nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        """Keep every problem, each naming its table and column."""
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Rule:
    """One column's rule."""

    kind: Kind
    how: str = ""

    @property
    def text(self) -> str:
        """As written in the rules file."""
        return f"{self.kind}:{self.how}" if self.how else str(self.kind)


@dataclass(frozen=True)
class TablePlan:
    """One table: dropped (``dropped`` says why) or copied with a rule per column."""

    table: Table
    personal: bool
    dropped: str | None = None
    rules: Mapping[str, Rule] = field(default_factory=dict)
    sealed: Mapping[str, str | None] = field(default_factory=dict)  # column -> index kind

    @property
    def name(self) -> str:
        """The table's name."""
        return str(self.table.name)


@dataclass(frozen=True)
class Plan:
    """Every table of the data store, in foreign-key order, with its rules."""

    tables: tuple[TablePlan, ...]

    def kept(self) -> tuple[TablePlan, ...]:
        """The tables whose rows are copied."""
        return tuple(t for t in self.tables if t.dropped is None)


def parse_rule(text: str) -> Rule:
    """``"pseudonymise:email"`` -> ``Rule(PSEUDONYMISE, "email")``; unknown words refused."""
    word, _, how = text.partition(":")
    try:
        kind = Kind(word)
    except ValueError:
        msg = f"unknown rule {text!r}"
        raise ValueError(msg) from None
    allowed: frozenset[str] = {
        Kind.PSEUDONYMISE: STRATEGIES,
        Kind.GENERALISE: GENERALISATIONS,
        Kind.DERIVED: frozenset({"blind_index"}),
    }.get(kind, frozenset({""}))
    if how not in allowed:
        msg = f"unknown {kind} way {how!r} in rule {text!r}"
        raise ValueError(msg)
    return Rule(kind, how)


def sealed_columns() -> dict[str, dict[str, str | None]]:
    """Table -> sealed column -> blind-index kind, from the models' sealed fields."""
    found: dict[str, dict[str, str | None]] = {}
    for mapper in Base.registry.mappers:
        fields = getattr(mapper.class_, "__sealed_fields__", {})
        for name, sealed in fields.items():
            table = str(getattr(mapper.local_table, "name", ""))
            found.setdefault(table, {})[name] = sealed.index
    return found


def is_personal(table: Table, sealed: Mapping[str, Any]) -> bool:
    """Personal data by the platform's tags: a data category, a subject, or sealed fields."""
    return (
        DATA_CATEGORY in table.info
        or any(c in table.columns for c in SUBJECT_COLUMNS)
        or bool(sealed)
    )


def load_rules(path: Path = RULES_FILE) -> dict[str, Any]:
    """The rules file as data."""
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["tables"]
    return data


def _column_rules(
    table: Table, written: Mapping[str, str], what: str, problems: list[str]
) -> dict[str, Rule]:
    name = str(table.name)
    parsed: dict[str, Rule] = {}
    for column in table.columns:
        text = written.get(str(column.name))
        if text is None:
            problems.append(f"column {name}.{column.name} of {what} {name!r} has no rule")
            continue
        try:
            rule = parse_rule(text)
        except ValueError as error:
            problems.append(f"column {name}.{column.name}: {error}")
            continue
        if rule.kind is Kind.NULL and not column.nullable:
            problems.append(f"column {name}.{column.name} cannot be null: choose another rule")
        parsed[str(column.name)] = rule
    return parsed


def plan(rules: Mapping[str, Any] | None = None) -> Plan:
    """Match the rules to every table and column; raise :class:`RuleError` on any gap."""
    load_all_models()
    rules = load_rules() if rules is None else rules
    sealed = sealed_columns()
    problems: list[str] = []
    tables: list[TablePlan] = []
    for table in Base.metadata.sorted_tables:
        name = str(table.name)
        own_sealed = sealed.get(name, {})
        personal = is_personal(table, own_sealed)
        what = "personal-data table" if personal else "table"
        entry = rules.get(name)
        if entry is None:
            problems.append(f"{what} {name!r} has no rule")
            continue
        if "drop" in entry:
            tables.append(TablePlan(table, personal, dropped=str(entry["drop"])))
            continue
        written: Mapping[str, str] = entry.get("columns", {})
        parsed = _column_rules(table, written, what, problems)
        problems.extend(
            f"rule for {name}.{extra}, which the table does not have"
            for extra in sorted(set(written) - {str(c.name) for c in table.columns})
        )
        tables.append(TablePlan(table, personal, rules=parsed, sealed=own_sealed))
    problems.extend(
        f"rule for table {extra!r}, which the data store does not have"
        for extra in sorted(set(rules) - {str(t.name) for t in Base.metadata.sorted_tables})
    )
    if problems:
        raise RuleError(problems)
    return Plan(tuple(tables))
