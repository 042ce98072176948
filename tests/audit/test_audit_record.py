"""Appending events: the PCI DSS fields, the chain, the transaction, the checkpoint."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from audithelp import ALICE, Writer, rows
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from klaremont.audit.checkpoints import read_checkpoints
from klaremont.audit.encoding import GENESIS_HASH, chain_hash, format_timestamp
from klaremont.audit.events import (
    SYSTEM_ACTOR,
    Actor,
    ActorType,
    Outcome,
)
from klaremont.audit.log import AuditLog
from klaremont.audit.models import AuditEvent
from klaremont.cards.actions import CardAction
from klaremont.clock import ManualClock
from klaremont.customers.actions import CustomerAction
from klaremont.staff.actions import StaffAction


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@pytest.mark.policy("IS-USE-MONITOR")
def test_event_stores_every_pci_field(writer: Writer, engine: Engine) -> None:
    """An event stores seq, UTC time, actor and type, action, outcome, origin, resource, purpose."""
    writer.one(
        action=CardAction.CARD_READ,
        outcome=Outcome.DENIED,
        origin="2001:db8::0001",
        resource="card/7",
        purpose="support",
        details={"reason": "no permission", "masked": "**** 4242"},
        request_id="req-9",
    )
    [row] = rows(engine)
    assert row["seq"] == 1
    assert row["occurred_at"] == "2026-03-02T09:30:01.000000Z"
    assert (row["actor_type"], row["actor_id"]) == ("staff", "alice")
    assert (row["action"], row["outcome"]) == ("card.read", "denied")
    assert row["origin"] == "2001:db8::1"  # normalised
    assert (row["resource"], row["purpose"], row["request_id"]) == ("card/7", "support", "req-9")
    assert row["details"] == '{"masked":"**** 4242","reason":"no permission"}'


def test_first_event_links_to_genesis_and_hash_covers_fields(writer: Writer) -> None:
    """The first event links to the all-zero genesis hash; its hash is recomputable from it."""
    event = writer.one()
    assert event.prev_hash == GENESIS_HASH
    assert event.hash == chain_hash(GENESIS_HASH, event.fields())


def test_events_are_numbered_without_gaps_and_chained(writer: Writer, engine: Engine) -> None:
    """Sequence numbers run 1, 2, 3 ... and each event's prev_hash is the previous hash."""
    writer.many(5)
    stored = rows(engine)
    assert [r["seq"] for r in stored] == [1, 2, 3, 4, 5]
    for before, after in itertools.pairwise(stored):
        assert after["prev_hash"] == before["hash"]


@pytest.mark.policy("IS-USE-MONITOR")
def test_rollback_leaves_no_event_and_no_checkpoint(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """An event recorded in a transaction that rolls back vanishes with it and is never sealed."""
    session = sessions()
    audit.record(session, action=StaffAction.STAFF_CREATE, actor=ALICE, resource="staff/bob")
    session.rollback()
    session.close()
    assert _count(engine) == 0
    assert not audit.checkpoint_file.exists()


def test_rolled_back_event_does_not_consume_a_number(writer: Writer, engine: Engine) -> None:
    """After a rolled-back append, the next committed event still takes the next number."""
    writer.one()
    session = writer.sessions()
    writer.audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    session.rollback()
    session.close()
    writer.one()
    assert [r["seq"] for r in rows(engine)] == [1, 2]


def test_commit_writes_one_signed_checkpoint_per_transaction(
    audit: AuditLog, sessions: sessionmaker[Session]
) -> None:
    """A committed transaction with three events is sealed by one checkpoint of its last event."""
    with sessions.begin() as session:
        for _ in range(3):
            last = audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    checkpoints, malformed = read_checkpoints(audit.checkpoint_file)
    assert not malformed
    [checkpoint] = checkpoints
    assert (checkpoint.seq, checkpoint.hash) == (3, last.hash)
    assert checkpoint.signature_valid(audit.signer.public_key)


def test_savepoint_rollback_keeps_chain_and_seals_committed_head(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """An event inside a rolled-back savepoint disappears; the checkpoint seals what committed."""
    with sessions.begin() as session:
        kept = audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
        nested = session.begin_nested()
        audit.record(session, action=StaffAction.AUTH_LOGOUT, actor=ALICE)
        nested.rollback()
    assert [r["seq"] for r in rows(engine)] == [1]
    [checkpoint], _ = read_checkpoints(audit.checkpoint_file)
    assert (checkpoint.seq, checkpoint.hash) == (1, kept.hash)
    assert audit.verify(engine).ok


def test_released_savepoint_is_sealed_only_by_the_outer_commit(
    audit: AuditLog, sessions: sessionmaker[Session]
) -> None:
    """Releasing a savepoint writes no checkpoint; the outer commit does."""
    with sessions.begin() as session:
        with session.begin_nested():
            audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
        assert not audit.checkpoint_file.exists()
    assert len(read_checkpoints(audit.checkpoint_file)[0]) == 1


@pytest.mark.policy("IS-AC-CLOCK")
def test_timestamps_are_fixed_width_utc(writer: Writer, clock: ManualClock) -> None:
    """A clock reading in another zone is stored as UTC text ending in Z, microseconds included."""
    clock.set(datetime(2026, 7, 1, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=1))))
    event = writer.one()
    assert event.occurred_at == "2026-07-01T11:00:01.000005Z"
    assert event.occurred == datetime(2026, 7, 1, 11, 0, 1, 5, tzinfo=UTC)


@pytest.mark.policy("IS-AC-CLOCK")
def test_naive_timestamps_are_refused() -> None:
    """A naive datetime cannot become an audit timestamp."""
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_actor_label_is_neither_stored_nor_compared(writer: Writer) -> None:
    """The display label is for people: it does not change equality or the stored row."""
    event = writer.one(actor=Actor(ActorType.STAFF, "alice", label="Someone Else"))
    assert Actor(ActorType.STAFF, "alice", label="x") == ALICE
    assert event.actor == ALICE
    assert str(SYSTEM_ACTOR) == "system:klaremont"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("resource", "customer/1\nforged line", "control character"),
        ("purpose", "x" * 65, "longer than 64"),
        ("request_id", "\x1b[31m", "control character"),
        ("origin", "10.0.0.1\r", "control character"),
    ],
)
def test_malformed_fields_are_refused(
    audit: AuditLog, sessions: sessionmaker[Session], field: str, value: str, message: str
) -> None:
    """Control characters (log injection) and over-long values are refused, naming the field."""
    with pytest.raises(ValueError, match=message), sessions.begin() as session:
        audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE, **{field: value})


def test_unknown_action_and_empty_actor_are_refused(
    audit: AuditLog, sessions: sessionmaker[Session]
) -> None:
    """Only catalogued action tags and identified actors can be recorded."""
    with sessions.begin() as session:
        with pytest.raises(ValueError, match="not a valid audit action"):
            audit.record(session, action="made.up", actor=ALICE)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="actor id is required"):
            audit.record(session, action=StaffAction.AUTH_LOGIN, actor=Actor(ActorType.STAFF, ""))


def test_returned_event_is_the_stored_row(writer: Writer, engine: Engine) -> None:
    """record() returns the stored event; its parsed details and dict form match the row."""
    event = writer.one(details={"b": 1, "a": [1, 2]})
    assert event.details_dict() == {"a": [1, 2], "b": 1}
    as_dict = event.as_dict()
    assert as_dict["hash"] == rows(engine)[0]["hash"]
    assert json.dumps(as_dict)  # serialisable for `audit show --json`
    assert event.action_tag is CustomerAction.PERSONAL_DATA_READ
    assert event.outcome_value is Outcome.SUCCESS


def test_returned_event_is_detached_not_added_to_the_session(
    audit: AuditLog, sessions: sessionmaker[Session]
) -> None:
    """record() leaves the session alone: the event is a detached copy of the stored row."""
    with sessions.begin() as session:
        event = audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
        assert event not in session
        assert inspect(event).detached
        stored = session.get(AuditEvent, event.seq)
        assert stored is not None
        assert stored is not event
        assert stored.as_dict() == event.as_dict()
    with sessions.begin() as other:
        other.add(event)  # attaching it makes it persistent: it is never inserted again
        assert inspect(event).persistent


def test_appends_after_savepoints_continue_one_chain(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """The head stays locked for the transaction; savepoints that roll back are re-read."""
    with sessions.begin() as session:
        audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)  # 1
        with session.begin_nested():
            audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)  # 2, released
        nested = session.begin_nested()
        audit.record(session, action=StaffAction.AUTH_LOGOUT, actor=ALICE)  # rolled back
        inner = session.begin_nested()
        audit.record(session, action=StaffAction.AUTH_LOGOUT, actor=ALICE)  # rolled back
        inner.rollback()
        nested.rollback()
        audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)  # 3
        nested = session.begin_nested()
        nested.rollback()  # nothing appended inside: the locked head still holds
        last = audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)  # 4
    stored = rows(engine)
    assert [r["seq"] for r in stored] == [1, 2, 3, 4]
    assert last.hash == stored[-1]["hash"]
    for before, after in itertools.pairwise(stored):
        assert after["prev_hash"] == before["hash"]
    report = audit.verify(engine)
    assert report.ok, report.findings
    assert report.sealed_seq == 4


def test_a_session_reused_after_close_locks_the_head_again(audit: AuditLog, engine: Engine) -> None:
    """An append closed without commit leaves nothing behind for the session's next transaction,
    even on a factory the audit log is not installed on."""
    installed = sessionmaker(engine)
    audit.install(installed)
    for factory in (sessionmaker(engine), installed):
        session = factory()
        audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
        session.close()  # rolls back without a rollback event
        audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
        with session.begin_nested():
            audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
        session.commit()
        session.close()
    assert [r["seq"] for r in rows(engine)] == [1, 2, 3, 4]
    report = audit.verify(engine)
    assert report.ok, report.findings


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_an_append_closed_without_commit_is_never_sealed(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """close() rolls back without a rollback event; the session's next commit seals nothing."""
    session = sessions()
    audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    session.close()
    session.commit()  # a later transaction on the same session that appends nothing
    session.close()
    assert not audit.checkpoint_file.exists()
    assert audit.verify(engine).ok
