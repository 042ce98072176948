"""Real ``klaremont worker`` processes, no cron: two of them share the slots exactly once,
and one alone records the DPO's due alert for a request due tomorrow."""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from jobs_support import request_due_on, runs, runs_per_slot, wait_until, worker_env, workers
from sqlalchemy import select

from backend_support import BACKEND
from klaremont.audit.models import AuditEvent
from klaremont.clock import SystemClock, uk_date
from klaremont.jobs.models import RunStatus


def _logs(tmp_path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("*.log")))


@pytest.mark.skipif(
    BACKEND != "postgresql", reason="the production shape: several workers on one PostgreSQL"
)
def test_two_worker_processes_run_each_slot_exactly_once(platform, settings, tmp_path):
    env = worker_env(settings, "dsr-due-alert=PT1S")
    with workers(env, 2, tmp_path) as procs:
        assert wait_until(lambda: len(runs_per_slot(platform, "dsr-due-alert")) >= 6, 120), _logs(
            tmp_path
        )
        for process in procs:
            process.send_signal(signal.SIGTERM)
        for process in procs:
            assert process.wait(timeout=60) == 0, _logs(tmp_path)
    every_run = runs(platform)
    for job in {row.job for row in every_run}:
        assert set(runs_per_slot(platform, job).values()) == {1}, job
    assert len(runs_per_slot(platform, "dsr-due-alert")) >= 6
    pids = {str(p.pid) for p in procs}
    assert {row.worker.rsplit(":", 1)[1] for row in every_run} <= pids
    # A clean stop finishes the running job: nothing is left running.
    assert RunStatus.RUNNING.value not in {row.status for row in every_run}


@pytest.mark.policy("DP-PROMPT", "DP-DPO")
def test_the_worker_records_the_dpo_due_alert_without_cron(platform, settings, tmp_path):
    """A request due tomorrow: a worker started with the default daily interval records
    the due-soon list for the DPO role (audited), with nothing else scheduling it."""
    tomorrow = uk_date(SystemClock().now()) + timedelta(days=1)
    reference = request_due_on(platform, tomorrow)

    def alerts() -> list[dict[str, object]]:
        with platform.unit_of_work() as uow:
            events = uow.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "policy.check", AuditEvent.resource == "role:dpo"
                )
            ).all()
            return [e.details_dict() for e in events if e.details_dict()["event"] == "due-alert"]

    assert alerts() == []
    with workers(worker_env(settings, ""), 1, tmp_path):
        assert wait_until(lambda: bool(alerts()), 120), _logs(tmp_path)
    (alert,) = alerts()
    assert alert["due_soon"] == [reference]
    assert alert["routed_to"] == "dpo"
    (row,) = runs(platform, "dsr-due-alert")
    assert row.status == RunStatus.SUCCEEDED.value
    assert row.summary == "0 overdue, 1 due soon"
