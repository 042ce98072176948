"""Which rows are due: each target under its category's rule, less what a hold keeps.

A row is due when its date for the rule's event is at or before the rule's cutoff
(:meth:`~klaremont.policy.period.Period.cutoff`: never early), it has not been dealt with
already (its fields are still set, it is not yet anonymised), and no legal hold of the
policy file still runs on it (invoices six years from issue). A due row of a person under
a hold (an incident's, an open request's, the DPO's litigation hold) is *kept*: left out
of the batches and counted, by hold, in the report.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, literal_column, not_, or_, select, true

from klaremont import holds
from klaremont.retention.apply import stored_keys
from klaremont.retention_targets import HOLD_POINT, Target

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import ColumnElement, Select

    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import LegalHold, PolicyFile, RetentionRule


@dataclass(frozen=True)
class Plan:
    """One target under its rule, at one moment."""

    target: Target
    rule: RetentionRule
    cutoff: datetime
    legal: tuple[LegalHold, ...]
    legal_cutoff: datetime | None  # a row is kept by law while its hold clock is after this

    @property
    def action(self) -> str:
        """What the rule says to do."""
        return self.rule.action

    def clock(self) -> ColumnElement[datetime]:
        """The rows' date for the rule's event."""
        made = self.target.clock(self.rule.after)
        if made is None:  # pragma: no cover - plans() leaves such targets out
            raise AssertionError(self.target.name)
        return made

    def undone(self) -> ColumnElement[bool]:
        """Rows not yet dealt with."""
        table = self.target.table
        if self.target.fields:
            return or_(*(table.c[name].is_not(None) for name in self.target.fields))
        if self.action == "anonymise" and self.target.anonymised is not None:
            return not_(self.target.anonymised(table))
        return true()

    def ripe(self) -> ColumnElement[bool]:
        """Rows whose period has ended and that are not yet dealt with (holds aside)."""
        clock = self.clock()
        conditions = [clock.is_not(None), clock <= self.cutoff, self.undone()]
        conditions.extend(extra(self.target.table) for extra in self.target.extra)
        return and_(*conditions)

    def lawful(self) -> ColumnElement[bool]:
        """Rows no legal hold of the policy file keeps."""
        if self.legal_cutoff is None or self.target.hold_clock is None:
            return true()
        return self.target.table.c[self.target.hold_clock] <= self.legal_cutoff

    def subject(self) -> ColumnElement[Any] | None:
        """The column naming whose rows they are."""
        name = self.target.subject
        return None if name is None else self.target.table.c[name]

    def due(self, held: frozenset[uuid.UUID]) -> ColumnElement[bool]:
        """Rows to act on now: ripe, lawful, and not of a held person."""
        conditions = [self.ripe(), self.lawful()]
        subject = self.subject()
        if subject is not None and held:
            conditions.append(or_(subject.is_(None), subject.not_in(held)))
        return and_(*conditions)

    def batch(
        self, held: frozenset[uuid.UUID], size: int, after: Any = None, *, stored: bool = False
    ) -> Select[Any]:
        """The next ``size`` due rows after the cursor ``after``: primary key, person (when
        the target has one) and, last, the cursor the next batch starts after.

        Batches walk the table from where the last one stopped, so each reads only its own
        stretch instead of passing again over the rows the earlier batches dealt with (which
        made a run quadratic in the table's size). On SQLite (``stored``) the walk follows
        the rowid, the table's own order, so rows are read in place; elsewhere it follows
        the primary key (oldest first for a sequence key).
        """
        subject = self.subject()
        key = stored_keys(self.target.pk) if stored else self.target.pk
        cursor = self.cursor(stored=stored)
        columns = [key] if subject is None else [key, subject]
        query = select(*columns, cursor).where(self.due(held))
        if after is not None:
            query = query.where(cursor > after)
        return query.order_by(cursor).limit(size)

    def cursor(self, *, stored: bool) -> Any:
        """What batches walk the table by: the rowid on SQLite (``stored``), else the key."""
        if stored:
            return literal_column(f'"{self.target.table.name}".rowid')
        return self.target.pk

    def window(
        self, held: frozenset[uuid.UUID], size: int, after: Any = None, *, stored: bool = False
    ) -> tuple[Select[Any], Any]:
        """The cursors of the next ``size`` due rows after ``after`` (the rows :meth:`batch`
        reads), as a subquery for a statement acting on them; and the cursor column."""
        cursor = self.cursor(stored=stored)
        query = select(cursor).select_from(self.target.table).where(self.due(held))
        if after is not None:
            query = query.where(cursor > after)
        return query.order_by(cursor).limit(size).correlate(None), cursor


@dataclass(frozen=True)
class Unplanned:
    """A target the rule cannot be applied to (its rows carry no date for the rule's event)."""

    target: Target
    reason: str


def plans(
    policy: PolicyFile, now: datetime, targets: tuple[Target, ...]
) -> tuple[list[Plan], list[Unplanned]]:
    """Each target under its category's rule."""
    found: list[Plan] = []
    skipped: list[Unplanned] = []
    for target in targets:
        rule = policy.retention.rule(target.category)
        if target.clock(rule.after) is None:
            known = ", ".join(sorted(target.clocks))
            skipped.append(
                Unplanned(
                    target,
                    f"retention.{target.category.value}.after is {rule.after!r}, but "
                    f"{target.description} are dated only by {known}",
                )
            )
            continue
        legal = tuple(policy.holds_for(target.category))
        legal_cutoff = min((h.minimum.cutoff(now) for h in legal), default=None)
        found.append(Plan(target, rule, rule.period.cutoff(now), legal, legal_cutoff))
    return found, skipped


@dataclass(frozen=True)
class Holding:
    """Every hold in force at the start of a run, by person."""

    by_subject: Mapping[uuid.UUID, tuple[holds.Hold, ...]]

    @property
    def subjects(self) -> frozenset[uuid.UUID]:
        """The held people."""
        return frozenset(self.by_subject)


def holding(uow: UnitOfWork) -> Holding:
    """The holds in force now: the foundation's ``subject_hold`` and ``retention_hold``."""
    found: dict[uuid.UUID, list[holds.Hold]] = {}
    for point in (holds.POINT, HOLD_POINT):
        for hold in holds.every_hold(uow, point=point):
            found.setdefault(hold.subject_id, []).append(hold)
    return Holding({subject: tuple(found[subject]) for subject in found})


def count_due(uow: UnitOfWork, plan: Plan, held: frozenset[uuid.UUID]) -> int:
    """How many rows are due now."""
    query = select(func.count()).select_from(plan.target.table).where(plan.due(held))
    return int(uow.session.scalar(query) or 0)


def kept(uow: UnitOfWork, plan: Plan, holding: Holding) -> dict[str, int]:
    """Ripe rows kept, by what keeps them (a legal hold of the policy file, a person's hold)."""
    table = plan.target.table
    result: dict[str, int] = {}
    if plan.legal_cutoff is not None and plan.target.hold_clock is not None:
        by_law = select(func.count()).select_from(table).where(plan.ripe(), not_(plan.lawful()))
        count = int(uow.session.scalar(by_law) or 0)
        if count:
            basis = "; ".join(f"{h.minimum} ({h.basis})" for h in plan.legal)
            result[f"legal hold: {basis}"] = count
    subject = plan.subject()
    if subject is None or not holding.subjects:
        return result
    query = (
        select(subject, func.count())
        .where(plan.ripe(), plan.lawful(), subject.in_(holding.subjects))
        .group_by(subject)
    )
    for person, count in uow.session.execute(query):
        for hold in holding.by_subject.get(person, ()):
            words = f"{hold.holder} ({hold.reason})"
            result[words] = result.get(words, 0) + int(count)
    return result
