"""PostgreSQL appends each event with one statement, the database computing its hash.

The hash the database computes must be byte for byte the one :func:`chain_hash` computes
in Python (and the verifier recomputes), for any field content; concurrent appenders must
still serialise on the head row.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
from audithelp import ALICE, Writer, requires_postgresql, rows, run_workers
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from klaremont.audit import appender
from klaremont.audit.encoding import (
    ENCODED_COLUMNS,
    GENESIS_HASH,
    EventFields,
    chain_hash,
    format_timestamp,
)
from klaremont.audit.events import Actor, ActorType, Outcome
from klaremont.audit.log import AuditLog
from klaremont.audit.verify import verify_log
from klaremont.customers.actions import CustomerAction
from klaremont.staff.actions import StaffAction

pytestmark = requires_postgresql

THREADS = 8
EACH = 25
AWKWARD = [
    'quote " and \\ backslash',
    "Zoë 🙂",
    "tab\tnew\nline cr\r",
    "\x01 unit \x1e record \x1f \x7f \x85",
    "\u2028\u2029 \ufeff",
    "'single'; -- $1 %s %% {}",
    "",
]
TEXT = ['quote " and \\ backslash', "Zoë 🙂", "\u2028\u2029 \ufeff", "'single'; -- $1 %s %% {}", ""]


def _python_hash(row: dict[str, Any]) -> str:
    """What ``encoding.chain_hash`` makes of a stored row."""
    return chain_hash(
        row["prev_hash"], EventFields(**{name: row[name] for name in ENCODED_COLUMNS})
    )


def _assert_chain(engine: Engine, count: int) -> list[dict[str, Any]]:
    """Events 1..count, each linked to the one before and hashed as Python hashes it."""
    stored = rows(engine)
    assert [r["seq"] for r in stored] == list(range(1, count + 1))
    assert stored[0]["prev_hash"] == GENESIS_HASH
    for before, after in itertools.pairwise(stored):
        assert after["prev_hash"] == before["hash"]
    for row in stored:
        assert row["hash"] == _python_hash(row), row["seq"]
    return stored


def _verify(audit: AuditLog, engine: Engine, sealed: int) -> None:
    audit.flush()
    report = verify_log(engine, audit.checkpoint_file, audit.trusted_keys)
    assert report.ok, report.findings
    assert report.sealed_seq == sealed


@pytest.mark.policy("IS-USE-MONITOR")
def test_awkward_content_is_hashed_as_python_hashes_it(
    writer: Writer, audit: AuditLog, engine: Engine
) -> None:
    """Quotes, backslashes, control characters, non-ASCII, NULLs and empty strings: the
    database's hash of every event equals encoding.chain_hash, and the chain verifies."""
    returned = [
        writer.one(
            actor=Actor(ActorType.STAFF, "o'brien \"\\ Zoë 🙂"),
            origin=None,
            resource='customer/"42"\\x Zoë 🙂',
            purpose=None,
            request_id=None,
            details={"text": AWKWARD, "": "", "nested": {"\x1e": "\x01", "z": None}},
        ),
        writer.one(origin="", resource="", purpose="", request_id="", details={}),
        writer.one(origin="proxy 'a' \"b\"", details={"k": "\\u0001 not an escape"}),
        *(
            writer.one(resource=value, actor=Actor(ActorType.SYSTEM, value or "x"))
            for value in TEXT
        ),
        *(writer.one(details={"v": value}) for value in AWKWARD),
    ]
    stored = _assert_chain(engine, len(returned))
    assert stored[1]["origin"] is None  # record() stores empty text as NULL
    for got, row in zip(returned, stored, strict=True):
        assert got.as_dict() == {**row, "details": got.details_dict()}
        assert got.details == row["details"]
    _verify(audit, engine, len(returned))


@pytest.mark.policy("IS-USE-MONITOR")
def test_raw_values_are_hashed_as_python_hashes_them(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """Past record()'s checks: control characters and empty strings in any field still get
    the hash Python computes (the encoding escapes them, whatever reaches the column)."""
    appended: list[dict[str, Any]] = []
    with sessions.begin() as session:
        conn = session.connection()
        for n, value in enumerate(AWKWARD):
            values: dict[str, Any] = {
                "occurred_at": format_timestamp(audit.clock.now())[:-2] + f"{n}Z",
                "actor_type": value[:16],
                "actor_id": value,
                "action": value,
                "outcome": value[:16],
                "origin": value if n % 2 else None,
                "resource": None if n % 2 else value,
                "purpose": value,
                "request_id": None,
                "details": value,
            }
            appended.append(appender.append_in_database(conn, values))
    stored = _assert_chain(engine, len(AWKWARD))
    assert appended == stored
    audit.checkpoint(engine)
    _verify(audit, engine, len(AWKWARD))


def test_an_append_is_one_statement(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """Once the head row exists, record() costs one statement; the first one creates it."""
    with sessions.begin() as session:
        first = audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    executed: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    with sessions.begin() as session:
        session.connection()
        event.listen(engine, "before_cursor_execute", count)
        try:
            second = audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
            third = audit.record(session, action=StaffAction.AUTH_LOGOUT, actor=ALICE)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert executed == [appender.append_sql()] * 2
    assert (second.seq, second.prev_hash, third.seq, third.prev_hash) == (
        2,
        first.hash,
        3,
        second.hash,
    )
    with engine.connect() as conn:
        assert appender.read_head(conn) == (3, third.hash)
    _assert_chain(engine, 3)


def test_a_missing_head_row_is_rebuilt_from_the_last_event(writer: Writer, engine: Engine) -> None:
    """With no head row (it is not evidence), the next append continues after the last event."""
    writer.many(3)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    assert writer.one().seq == 4
    _assert_chain(engine, 4)
    _verify(writer.audit, engine, 4)


def test_appends_in_one_transaction_and_savepoints_chain(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """Each statement reads the head the one before it moved; a rolled-back savepoint's
    appends and head move are undone together."""
    with sessions.begin() as session:
        kept = [audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE) for _ in range(3)]
        nested = session.begin_nested()
        audit.record(session, action=StaffAction.AUTH_LOGOUT, actor=ALICE)
        nested.rollback()
        kept.append(audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE))
    stored = _assert_chain(engine, 4)
    assert [e.hash for e in kept] == [r["hash"] for r in stored]
    _verify(audit, engine, 4)


def _backend_waits_on_a_lock(engine: Engine) -> bool:
    sql = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as conn:
        return bool(conn.execute(text(sql)).scalar())


@pytest.mark.policy("IS-USE-MONITOR")
def test_a_waiting_appender_continues_from_the_committed_head(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """An append blocked on the head (its statement began before the holder committed) links
    to the event the holder committed, not to the head it could see when it started."""
    with sessions.begin() as session:  # the head row exists: the statement's lock waits
        first = audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    done: list[Any] = []
    holder = sessions()
    try:
        held = audit.record(holder, action=StaffAction.AUTH_LOGIN, actor=ALICE)

        def wait_then_append() -> None:
            try:
                with sessions.begin() as session:
                    done.append(audit.record(session, action=StaffAction.AUTH_LOGOUT, actor=ALICE))
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                done.append(exc)

        waiter = threading.Thread(target=wait_then_append)
        waiter.start()
        deadline = time.monotonic() + 10
        while not _backend_waits_on_a_lock(engine):
            assert time.monotonic() < deadline, "the second appender never waited"
            time.sleep(0.01)
        assert not done
        holder.commit()
    finally:
        holder.close()
    waiter.join(10)
    [waited] = done
    assert not isinstance(waited, BaseException), waited
    assert (held.seq, held.prev_hash) == (2, first.hash)
    assert (waited.seq, waited.prev_hash) == (3, held.hash)
    _assert_chain(engine, 3)
    _verify(audit, engine, 3)


@pytest.mark.policy("IS-USE-MONITOR")
def test_many_threads_append_one_chain(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """Eight threads, transactions of one to three appends, some rolled back: one gapless
    chain, no seq taken twice, every hash the one Python computes."""
    committed: list[int] = []

    def append(worker: int) -> None:
        actor = Actor(ActorType.STAFF, f"worker-{worker}")
        for i in range(EACH):
            with sessions() as session:
                for j in range(i % 3 + 1):
                    audit.record(
                        session,
                        action=CustomerAction.PERSONAL_DATA_READ,
                        outcome=Outcome.SUCCESS,
                        actor=actor,
                        resource=f"customer/{worker}-{i}-{j}",
                        details={"n": j, "text": "Zoë \x01"},
                    )
                if i % 7 == 3:
                    session.rollback()
                else:
                    session.commit()
                    committed.append(i % 3 + 1)

    run_workers(append, THREADS)
    total = sum(committed)
    stored = _assert_chain(engine, total)
    assert len({r["hash"] for r in stored}) == total
    assert {r["actor_id"] for r in stored} == {f"worker-{n}" for n in range(THREADS)}
    _verify(audit, engine, total)
