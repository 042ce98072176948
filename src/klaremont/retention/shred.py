"""Destroying a person's data key once nothing retained needs it (IS-SENS-DISPOSE).

A batch that purges sealed rows queues their people (``retention_shred_queue``, in the
batch's own transaction). At the end of a run, and at once for a ``crypto_shred`` rule,
each queued person whose sealed data is all gone (no row left in a sealed target; every
sealed field of a field target cleared) and who is under no hold loses their data key, in
one keystore transaction per chunk: every copy of their values, backups included, is then
unreadable. The ledger records each destruction first, so a restored keystore loses those
keys again. A person who still has sealed data stays queued and is looked at again.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, bindparam, exists, func, literal, null, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from klaremont.db.engine import is_sqlite
from klaremont.retention import ledger
from klaremont.retention.actions import RetentionAction
from klaremont.retention.apply import keys_in
from klaremont.retention.models import ShredQueue

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Select

    from klaremont.platform import Platform, UnitOfWork
    from klaremont.retention_targets import Target

CHUNK = 5000
REASON = "retention: nothing retained needs the data key"


def queue(uow: UnitOfWork, subjects: Iterable[Any]) -> None:
    """Queue these people (once each) for the shred check: one statement per chunk that
    leaves people already queued alone (``INSERT ... ON CONFLICT DO NOTHING``). People come
    as ``uuid.UUID`` or, read on SQLite, as their stored text (bound as it is)."""
    wanted = sorted({s for s in subjects if isinstance(s, uuid.UUID | str)}, key=str)
    if not wanted:
        return
    now = uow.clock.now()
    if not is_sqlite(uow.platform.engine):  # one statement: the people as one array
        table = ShredQueue.__table__
        people = select(
            func.unnest(bindparam("people", wanted, type_=ARRAY(table.c.subject_id.type))),
            literal(now, table.c.queued_at.type),
            null(),
        )
        columns = ["subject_id", "queued_at", "destroyed_at"]
        uow.session.execute(
            pg_insert(ShredQueue).from_select(columns, people).on_conflict_do_nothing()
        )
        return
    person = (
        bindparam("person", type_=String) if isinstance(wanted[0], str) else bindparam("person")
    )
    statement = (  # compiled once, run many
        sqlite_insert(ShredQueue)
        .values(subject_id=person, queued_at=bindparam("at"), destroyed_at=None)
        .on_conflict_do_nothing()
    )
    for start in range(0, len(wanted), CHUNK):
        rows = [{"person": s, "at": now} for s in wanted[start : start + CHUNK]]
        uow.session.connection().execute(statement, rows)


def still_needed(
    uow: UnitOfWork, sealed: Iterable[Target], chunk: list[uuid.UUID]
) -> set[uuid.UUID]:
    needed: set[uuid.UUID] = set()
    for target in sealed:
        if target.subject is None:
            continue
        subject = target.table.c[target.subject]
        query = select(subject).where(keys_in(uow, subject, chunk)).distinct()
        if target.fields:
            query = query.where(or_(*(target.table.c[f].is_not(None) for f in target.fields)))
        needed.update(uow.session.scalars(query))
    return needed


def _unneeded(uow: UnitOfWork, sealed: Iterable[Target], chunk: list[uuid.UUID]) -> Select[Any]:
    """Of the queued people ``chunk``, those nothing sealed is left of (one statement; see
    :func:`still_needed`)."""
    person = ShredQueue.subject_id
    query = select(person).where(keys_in(uow, person, chunk), ShredQueue.destroyed_at.is_(None))
    for target in sealed:
        if target.subject is None:
            continue
        table = target.table
        left = exists().where(table.c[target.subject] == person)
        if target.fields:
            left = left.where(or_(*(table.c[f].is_not(None) for f in target.fields)))
        query = query.where(~left)
    return query


def shred_waiting(
    platform: Platform,
    sealed: tuple[Target, ...],
    held: frozenset[uuid.UUID],
    *,
    only: Iterable[uuid.UUID] | None = None,
    reference: str = "",
) -> int:
    """Destroy the keys of queued people nothing needs any more; how many people."""
    with platform.unit_of_work() as uow:
        query = select(ShredQueue.subject_id).where(ShredQueue.destroyed_at.is_(None))
        waiting = sorted(uow.session.scalars(query), key=str)
    if only is not None:
        wanted = set(only)
        waiting = [s for s in waiting if s in wanted]
    total = 0
    for start in range(0, len(waiting), CHUNK):
        chunk = [s for s in waiting[start : start + CHUNK] if s not in held]
        if not chunk:
            continue
        with platform.unit_of_work() as uow:
            free = sorted(uow.session.scalars(_unneeded(uow, sealed, chunk)), key=str)
            if not free:
                continue
            ledger.append(
                ledger.ledger_file(platform.settings),
                ledger.Entry(
                    run=reference,
                    at=uow.clock.now(),
                    target=ledger.KEYS,
                    action="crypto_shred",
                    ids=tuple(s.hex for s in free),
                ),
            )
            uow.crypto.destroy_many(free, REASON)
            uow.session.execute(
                update(ShredQueue)
                .where(keys_in(uow, ShredQueue.subject_id, free))
                .values(destroyed_at=uow.clock.now())
            )
            uow.audit(
                RetentionAction.KEYS_DESTROYED,
                resource="retention:keys",
                details={"subjects": len(free)},
            )
            total += len(free)
    return total
