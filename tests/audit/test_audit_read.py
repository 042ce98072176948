"""Reading the audit log is itself an audit event (IS-AC-LOGIN-LOG)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from audithelp import ALICE, START, Writer, rows
from sqlalchemy import Engine

from klaremont.audit.events import Actor, ActorType, Outcome
from klaremont.cards.actions import CardAction
from klaremont.staff.actions import StaffAction

AUDITOR = Actor(ActorType.STAFF, "ivy-auditor")


@pytest.fixture
def history(writer: Writer) -> Writer:
    """Logins and card reads by two people."""
    writer.one(action=StaffAction.AUTH_LOGIN, outcome=Outcome.FAILURE, details={})
    writer.one(action=StaffAction.AUTH_LOGIN, details={})
    writer.one(action=CardAction.CARD_READ, resource="card/1", details={})
    writer.one(action=StaffAction.AUTH_LOGIN, actor=AUDITOR, details={})
    return writer


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_reading_the_log_records_an_audit_read_event(history: Writer, engine: Engine) -> None:
    """A read returns the matching events and appends audit.read naming the reader and filters."""
    with history.sessions.begin() as session:
        found = history.audit.read(
            session,
            reader=AUDITOR,
            origin="198.51.100.4",
            request_id="r-77",
            action=StaffAction.AUTH_LOGIN,
            actor=ALICE,
        )
        assert [e.seq for e in found] == [1, 2]
    last = rows(engine)[-1]
    assert (last["seq"], last["action"], last["actor_id"]) == (5, "audit.read", "ivy-auditor")
    assert (last["origin"], last["request_id"], last["resource"]) == (
        "198.51.100.4",
        "r-77",
        "audit_events",
    )
    assert '"actor":"staff:alice"' in last["details"]
    assert '"returned":2' in last["details"]
    assert history.audit.verify(engine).ok


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_failed_and_successful_logins_are_both_readable(history: Writer) -> None:
    """Both failed and successful logins are in the log and can be filtered by outcome."""
    with history.sessions.begin() as session:
        failed = history.audit.read(
            session, reader=AUDITOR, action=StaffAction.AUTH_LOGIN, outcome=Outcome.FAILURE
        )
        succeeded = history.audit.read(
            session, reader=AUDITOR, action=StaffAction.AUTH_LOGIN, outcome=Outcome.SUCCESS
        )
    assert [e.seq for e in failed] == [1]
    assert [e.seq for e in succeeded] == [2, 4]


def test_read_filters_page_and_order(history: Writer) -> None:
    """Time, resource, actor id, paging and newest-first filters select the right events."""
    with history.sessions.begin() as session:
        read = history.audit.read
        assert [e.seq for e in read(session, reader=AUDITOR, resource="card/1")] == [3]
        # 5 is the audit.read just recorded for the first read
        assert [e.seq for e in read(session, reader=AUDITOR, actor_id="ivy-auditor")] == [4, 5]
        since = START + timedelta(seconds=3)
        until = START + timedelta(seconds=4)
        assert [e.seq for e in read(session, reader=AUDITOR, since=since, until=until)] == [3]
        assert [e.seq for e in read(session, reader=AUDITOR, after_seq=2, limit=2)] == [3, 4]
        newest = read(session, reader=AUDITOR, newest_first=True, limit=3)
        assert [e.seq for e in newest] == [8, 7, 6]  # the reads above were logged too
        assert [e.seq for e in read(session, reader=AUDITOR, newest_first=True, after_seq=3)] == [
            2,
            1,
        ]


def test_read_limit_is_bounded(history: Writer) -> None:
    """A read asks for between 1 and 10,000 events."""
    with history.sessions.begin() as session:
        for bad in (0, 10_001):
            with pytest.raises(ValueError, match="limit"):
                history.audit.read(session, reader=AUDITOR, limit=bad)
