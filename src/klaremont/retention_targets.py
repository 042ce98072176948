"""What the retention run works on: the *targets* capabilities declare for their tables.

A foundation module, like :mod:`klaremont.holds`: the capabilities that hold data import it
to declare their targets, and the retention capability's engine reads them, so neither
imports the other. A capability that holds data of a retention category
plugs a provider into the extension point ``retention_targets``::

    extensions=(("retention_targets", "klaremont.customers.retention:targets"),)

``provider() -> Iterable[Target]``. A target is one table (or some fields of one table) of
one :class:`~klaremont.policy.model.DataCategory`: how to date its rows for each event the
category may run from, whose they are (for holds), what "anonymised" means for it, and which
rows elsewhere point at it. The policy file's rule for the category says how long and what
happens; the engine does it.

A second point, ``retention_hold``, takes providers like the foundation's ``subject_hold``
(:mod:`klaremont.holds`) for holds that stop a purge but are not legal holds erasure must
answer to (an open data-subject request: DPA 2018 s.173; erasure refuses those itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from klaremont import capabilities

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import ColumnElement, Table
    from sqlalchemy.sql.elements import KeyedColumnElement
    from sqlalchemy.sql.schema import Column

    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import DataCategory

POINT = "retention_targets"
HOLD_POINT = "retention_hold"

#: ``event -> (table -> SQL expression dating each row)``
Clock = Callable[["Table"], "ColumnElement[datetime]"]


@dataclass(frozen=True)
class Target:
    """One table, or some fields of one table, of one data category."""

    name: str  # "customers.contact": unique; written in the ledger, never renamed
    category: DataCategory
    table: Table
    clocks: Mapping[str, Clock]  # event -> its date for each row
    description: str  # what people read: "customers' e-mail addresses and telephone numbers"
    subject: str | None = "subject_id"  # whose rows (holds, the shred queue); None: nobody's
    fields: tuple[str, ...] = ()  # set: a field target (its fields are cleared, the row stays)
    #: anonymise: the values that remove every link to the person (called once per batch)
    anonymise: Callable[[UnitOfWork], Mapping[str, Any]] | None = None
    #: a row that is already anonymised (so it is not due again)
    anonymised: Callable[[Table], ColumnElement[bool]] | None = None
    references: tuple[
        KeyedColumnElement[Any], ...
    ] = ()  # nullable keys elsewhere: cleared before a delete
    children: tuple[KeyedColumnElement[Any], ...] = ()  # keys of rows that go with it (order lines)
    hold_clock: str | None = None  # the column the category's legal holds count from
    sealed: bool = False  # values sealed under the person's data key
    extra: tuple[Callable[[Table], ColumnElement[bool]], ...] = field(default=())
    #: run first on each chunk of rows about to be acted on, in the same transaction (and
    #: again when the ledger is re-applied after a restore: it must be idempotent): what the
    #: rows take with them that the engine cannot see (rows of append-only tables a trigger
    #: lets go only once marked, files on disk, data keys of their own, secrets elsewhere)
    before: Callable[[UnitOfWork, Sequence[Any]], None] | None = None

    @property
    def pk(self) -> Column[Any]:
        """The table's primary key column (one column)."""
        [column] = self.table.primary_key.columns
        return column

    def clock(self, event: str) -> ColumnElement[datetime] | None:
        """The rows' date for ``event``; ``None`` when this target has no such date."""
        make = self.clocks.get(event)
        return None if make is None else make(self.table)


def all_targets() -> tuple[Target, ...]:
    """Every target of every capability, in the order they were declared."""
    found: list[Target] = []
    for provider in capabilities.extensions(POINT):
        found.extend(cast("Callable[[], Iterable[Target]]", provider)())
    names = [t.name for t in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        msg = f"retention targets declared twice: {duplicates}"
        raise RuntimeError(msg)
    return tuple(found)


def by_name() -> dict[str, Target]:
    """The targets by name."""
    return {t.name: t for t in all_targets()}
