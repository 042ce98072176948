"""One batch of one plan: find the next due rows, act on them, and say which they were.

Used alike by a run (each batch its own transaction) and by the dry run (every batch in one
transaction that is then rolled back), so the two take the same rows in the same order.

Where nothing has to happen between reading the rows and acting on them (no ``before``
hook, no rows elsewhere to detach or delete first), the batch is one statement that acts
and names what it changed: ``UPDATE/DELETE ... WHERE key IN (the next due keys) RETURNING
key, person, cursor`` (SQLite >= 3.35 and PostgreSQL): one pass over the rows, and no
list of keys read into Python and bound back. Otherwise the keys are read first and
:func:`klaremont.retention.apply.apply` acts on them. On SQLite keys and people are read
as their stored text (see :func:`~klaremont.retention.apply.stored_keys`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import any_, delete, func, text, update

from klaremont.db.engine import is_sqlite
from klaremont.errors import KlaremontError
from klaremont.retention import apply as acts
from klaremont.retention.apply import stored_keys

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.retention.selection import Plan


@dataclass(frozen=True, slots=True)
class Batch:
    """What one batch did."""

    ids: list[Any]  # the rows' primary keys (stored text on SQLite)
    people: list[Any]  # whose rows they were, one per row (empty: the target names nobody)
    cursor: Any  # the next batch starts after this
    done: int  # rows changed


def no_jit(uow: UnitOfWork) -> None:
    """PostgreSQL: no JIT compilation in this transaction. A batch's statement is estimated
    dear (a correlated date per row) but runs in a fraction of a second, and compiling it
    took about a tenth of a second on every batch."""
    if not is_sqlite(uow.platform.engine):
        uow.session.execute(text("SET LOCAL jit = off"))


def as_uuids(people: list[Any]) -> list[Any]:
    """People as ``uuid.UUID`` (they are read as stored text on SQLite)."""
    return [uuid.UUID(hex=p) if isinstance(p, str) else p for p in people]


def one_statement(plan: Plan, *, first: bool) -> bool:
    """Whether this batch can act and read its keys in one statement.

    Not when the rows must be seen before they change (a ``before`` hook, keys elsewhere to
    clear, rows that go with them); nor for the first batch of an anonymising target: its
    values may create what they point at (the *nobody* subject), which must not appear when
    nothing is due; nor for a key Python orders differently from the database (text).
    """
    target = plan.target
    if target.before is not None or target.references:
        return False
    if target.pk.type.python_type not in (uuid.UUID, int):
        return False
    if not target.fields and plan.action == "anonymise" and target.anonymise is not None:
        return not first
    return bool(target.fields) or not target.children


def step(
    uow: UnitOfWork, plan: Plan, held: frozenset[uuid.UUID], size: int, after: Any, *, stored: bool
) -> Batch | None:
    """Do the next batch of ``plan`` after the cursor ``after`` in ``uow``; ``None`` when
    nothing is due any more."""
    if one_statement(plan, first=after is None):
        return _returning(uow, plan, held, size, after, stored=stored)
    rows = uow.session.execute(plan.batch(held, size, after, stored=stored)).all()
    if not rows:
        return None
    ids = [row[0] for row in rows]
    people = [row[1] for row in rows] if plan.subject() is not None else []
    done = acts.apply(uow, plan.target, plan.action, ids)
    if done == 0:
        msg = f"retention target {plan.target.name}: due rows did not change"
        raise KlaremontError(msg)
    return Batch(ids, people, rows[-1][-1], done)


def _returning(
    uow: UnitOfWork, plan: Plan, held: frozenset[uuid.UUID], size: int, after: Any, *, stored: bool
) -> Batch | None:
    target = plan.target
    table = target.table
    window, cursor = plan.window(held, size, after, stored=stored)
    key = stored_keys(target.pk) if stored else target.pk
    subject = plan.subject()
    columns = [key] if subject is None else [key, stored_keys(subject) if stored else subject]
    # PostgreSQL: ``key = ANY(ARRAY(window))``, so the rows are found by their key's index;
    # ``key IN (window)`` is planned as a hash join over a scan of the whole table, once
    # per batch (quadratic in the table's size)
    where = cursor.in_(window) if stored else cursor == any_(func.array(window.scalar_subquery()))
    if target.fields:
        statement: Any = update(table).where(where).values(dict.fromkeys(target.fields))
    elif plan.action == "anonymise" and target.anonymise is not None:
        statement = update(table).where(where).values(dict(target.anonymise(uow)))
    else:
        statement = delete(table).where(where)
    rows = uow.session.execute(statement.returning(*columns, cursor)).all()
    if not rows:
        return None
    ids = [row[0] for row in rows]
    people = [row[1] for row in rows] if subject is not None else []
    return Batch(ids, people, max(row[-1] for row in rows), len(rows))
