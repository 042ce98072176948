"""Concurrent appenders share one gapless chain."""

from __future__ import annotations

import pytest
from audithelp import ALICE, rows, run_workers
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from klaremont.audit.checkpoints import read_checkpoints
from klaremont.audit.events import Actor, ActorType
from klaremont.audit.log import AuditLog
from klaremont.customers.actions import CustomerAction
from klaremont.staff.actions import StaffAction

THREADS = 4
EACH = 25


@pytest.mark.policy("IS-USE-MONITOR")
def test_four_threads_append_one_gapless_valid_chain(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """Four threads, each with its own sessions, append 100 events: numbers 1-100, chain sound."""

    def append(worker: int) -> None:
        actor = Actor(ActorType.STAFF, f"worker-{worker}")
        for i in range(EACH):
            with sessions.begin() as session:
                audit.record(
                    session,
                    action=CustomerAction.PERSONAL_DATA_READ,
                    actor=actor,
                    resource=f"customer/{worker}-{i}",
                )

    run_workers(append, THREADS)
    stored = rows(engine)
    assert [r["seq"] for r in stored] == list(range(1, THREADS * EACH + 1))
    assert {r["actor_id"] for r in stored} == {f"worker-{n}" for n in range(THREADS)}
    report = audit.verify(engine)
    assert report.ok, report.findings
    assert report.sealed_seq == THREADS * EACH
    checkpoints, _ = read_checkpoints(audit.checkpoint_file)
    assert max(c.seq for c in checkpoints) == THREADS * EACH


def test_concurrent_commits_may_share_a_checkpoint(
    audit: AuditLog, sessions: sessionmaker[Session]
) -> None:
    """A checkpoint already covering a later event makes an earlier commit's checkpoint needless."""
    with sessions.begin() as session:
        audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    audit._seal((1, "0" * 64))  # a late seal for an event already covered is skipped
    assert len(read_checkpoints(audit.checkpoint_file)[0]) == 1
