"""Which events a read asks for: the filters of the API, the CLI and the console, as SQL.

One definition of the filters, so a page, an export and the API answer the same question
the same way and record it the same way in their ``audit.read`` event (the ``filters``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from klaremont.audit.events import ActionTag, Actor, Outcome, action_tag
from klaremont.audit.fields import filter_text, time_window
from klaremont.audit.models import AuditEvent

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from sqlalchemy import ColumnElement, Engine


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What to read: every field ``None`` matches everything; ``until`` is exclusive."""

    action: ActionTag | None = None
    actor: Actor | None = None
    actor_id: str | None = None
    outcome: Outcome | None = None
    resource: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> tuple[list[ColumnElement[bool]], dict[str, Any]]:
        """The SQL conditions, and the filters as an ``audit.read`` event records them.

        Raises :class:`~klaremont.errors.ValidationFailed` naming the field for a text
        filter holding a control character or a time without a zone.
        """
        actor_id = filter_text("actor_id", self.actor_id)
        resource = filter_text("resource", self.resource)
        conditions, window = time_window(self.since, self.until)
        filters: dict[str, Any] = {}
        if self.action is not None:
            tag = action_tag(self.action).value
            conditions.append(AuditEvent.action == tag)
            filters["action"] = tag
        if self.actor is not None:
            conditions.append(AuditEvent.actor_type == self.actor.type.value)
            conditions.append(AuditEvent.actor_id == self.actor.id)
            filters["actor"] = str(self.actor)
        if actor_id is not None:
            conditions.append(AuditEvent.actor_id == actor_id)
            filters["actor_id"] = actor_id
        if self.outcome is not None:
            conditions.append(AuditEvent.outcome == Outcome(self.outcome).value)
            filters["outcome"] = Outcome(self.outcome).value
        if resource is not None:
            conditions.append(AuditEvent.resource == resource)
            filters["resource"] = resource
        filters.update(window)
        return conditions, filters


def count_and_last(session: Session, wanted: EventFilter) -> tuple[int, int | None]:
    """How many events match, and the newest one's number (``None``: none match)."""
    conditions, _ = wanted.conditions()
    query = select(func.count(), func.max(AuditEvent.seq)).where(*conditions)
    total, last = session.execute(query).one()
    return int(total), None if last is None else int(last)


def stream_events(
    engine: Engine, wanted: EventFilter, *, up_to: int, batch: int = 1000
) -> Iterator[AuditEvent]:
    """Every matching event numbered ``up_to`` or lower, oldest first, read in batches.

    Each batch is its own short read on its own connection (keyset on ``seq``), so a long
    download holds no transaction open and never the request's session. Events are
    append-only, so the range counted before the download is the range delivered.
    """
    conditions, _ = wanted.conditions()
    after = 0
    while True:
        query = (
            select(AuditEvent)
            .where(*conditions, AuditEvent.seq > after, AuditEvent.seq <= up_to)
            .order_by(AuditEvent.seq)
            .limit(batch)
        )
        with Session(engine) as session:
            events = list(session.scalars(query))
            session.expunge_all()
        yield from events
        if len(events) < batch:
            return
        after = events[-1].seq
