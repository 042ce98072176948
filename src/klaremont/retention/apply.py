"""Doing what a rule says to a set of rows: clear fields, anonymise, or delete.

Core statements over primary keys, so one batch is a handful of round trips whatever its
size. A target's ``before`` hook runs first on each chunk (what the rows take with them
that the engine cannot see). A delete first clears nullable keys elsewhere that point at
the rows (an order's delivery address) and deletes the rows that go with them (an order's
lines). The same functions re-apply the ledger after a restore: each step is idempotent.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import String, Uuid, any_, bindparam, delete, text, type_coerce, update
from sqlalchemy.dialects.postgresql import ARRAY

from klaremont.db.engine import is_sqlite

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Column, CursorResult

    from klaremont.platform import UnitOfWork
    from klaremont.retention_targets import Target

CHUNK = 5000  # primary keys per statement (SQLite binds at most 32,766 parameters)


def stored_keys(column: Any) -> Any:
    """The column as its stored text, where SQLite keeps a UUID as 32 hex characters: a run
    reads and binds keys as they are stored instead of building a ``uuid.UUID`` for each
    row and turning it back (a third of a run's time on SQLite)."""
    return type_coerce(column, String) if isinstance(column.type, Uuid) else column


def keys_in(uow: UnitOfWork, key: Any, ids: list[Any]) -> Any:
    """``key IN ids``, comparing stored text when the ids are stored text (SQLite). On
    PostgreSQL ``key = ANY(:ids)``: one array parameter instead of one per key, so a
    statement of thousands of keys is not rendered, parsed and bound key by key."""
    if ids and isinstance(ids[0], str):
        return stored_keys(key).in_(ids)
    if not is_sqlite(uow.platform.engine):
        return key == any_(bindparam(None, list(ids), type_=ARRAY(key.type)))
    return key.in_(ids)


def _as_read(target: Target, ids: list[Any]) -> list[Any]:
    """The ids as the ORM reads them (``uuid.UUID``), for a target's hook."""
    if ids and isinstance(ids[0], str) and isinstance(target.pk.type, Uuid):
        return [uuid.UUID(hex=i) for i in ids]
    return ids


def _rows(result: object) -> int:
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def secure_delete(uow: UnitOfWork) -> None:
    """SQLite: overwrite deleted content instead of leaving it in free pages."""
    if is_sqlite(uow.platform.engine):
        uow.session.execute(text("PRAGMA secure_delete = ON"))


def apply(uow: UnitOfWork, target: Target, action: str, ids: Sequence[Any]) -> int:
    """Do ``action`` to the rows ``ids`` of ``target``; how many rows it changed."""
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        if target.before is not None:
            target.before(uow, _as_read(target, chunk))
        if target.fields:
            done += _clear(uow, target, chunk)
        elif action == "anonymise" and target.anonymise is not None:
            done += _anonymise(uow, target, chunk)
        else:
            done += _delete(uow, target, chunk)
    return done


def _clear(uow: UnitOfWork, target: Target, ids: list[Any]) -> int:
    statement = update(target.table).where(keys_in(uow, target.pk, ids))
    return _rows(uow.session.execute(statement.values(dict.fromkeys(target.fields))))


def _anonymise(uow: UnitOfWork, target: Target, ids: list[Any]) -> int:
    if target.anonymise is None:  # pragma: no cover - apply() checks
        raise AssertionError(target.name)
    values = dict(target.anonymise(uow))
    statement = update(target.table).where(keys_in(uow, target.pk, ids)).values(values)
    return _rows(uow.session.execute(statement))


def _detach(uow: UnitOfWork, key: Any, ids: list[Any]) -> None:
    column = cast("Column[Any]", key)
    table = column.table
    statement = update(table).where(keys_in(uow, column, ids)).values({column.name: None})
    uow.session.execute(statement)


def _delete(uow: UnitOfWork, target: Target, ids: list[Any]) -> int:
    for column in target.references:
        _detach(uow, column, ids)
    for key in target.children:
        column = cast("Column[Any]", key)
        uow.session.execute(delete(column.table).where(keys_in(uow, column, ids)))
    return _rows(uow.session.execute(delete(target.table).where(keys_in(uow, target.pk, ids))))
