"""The watchdog alerts technical operations once per problem (a failed run, or no run for
twice the interval) through the audit log and the mail outbox, and clears the alert when
the job succeeds again."""

from __future__ import annotations

from datetime import timedelta

from jobs_support import SECRET, registered, runs, throwaway
from sqlalchemy import select

from klaremont import capabilities
from klaremont.audit.models import AuditEvent
from klaremont.capabilities import Job
from klaremont.jobs import watchdog
from klaremont.jobs.config import find_job
from klaremont.jobs.models import JobAlert, RunStatus
from klaremont.jobs.runner import run_job
from klaremont.mail.models import OutboxMessage
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff

MINUTE = timedelta(minutes=1)


def _alerts(platform):
    with platform.unit_of_work() as uow:
        raised = [
            e.details_dict()
            for e in uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "jobs.alert")
            ).all()
        ]
        cleared = [
            e.details_dict()
            for e in uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "jobs.alert_cleared")
            ).all()
        ]
        mails = [
            (m.to_address, m.subject_line, m.body)
            for m in uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "role_notice")
            ).all()
        ]
        rows = list(uow.session.scalars(select(JobAlert)).all())
        uow.session.expunge_all()
    return raised, cleared, mails, rows


def test_a_failed_job_alerts_technical_operations_once_then_clears(platform, clock):
    make_staff(platform, "tess", Role.TECHNICAL_OPERATIONS)
    make_staff(platform, "sue", Role.SUPPORT_AGENT)  # not technical operations: no message
    with registered(Job("flaky", "jobs_support:explode", MINUTE, "a job that fails")):
        job = find_job("flaky")
        assert job is not None
        assert run_job(platform, job, worker="w:1").status is RunStatus.FAILED
        assert watchdog.watch(platform).endswith("alerts raised: 1, cleared: 0")
        clock.advance(timedelta(seconds=30))
        assert watchdog.watch(platform).endswith("alerts raised: 0, cleared: 0")  # once only

        raised, cleared, mails, rows = _alerts(platform)
        assert [(a["job"], a["problem"], a["routed_to"], a["messages"]) for a in raised] == [
            ("flaky", "failed", "technical_operations", 1)
        ]
        assert SECRET not in raised[0]["detail"]
        assert [(to, subject) for to, subject, _ in mails] == [
            ("tess@klaremont.example", "Alert: scheduled job flaky failed")
        ]
        assert SECRET not in mails[0][2]
        assert "RuntimeError" in mails[0][2]
        assert [(r.job, r.cleared_at) for r in rows] == [("flaky", None)]

        # Fixed: the next run succeeds and the alert is cleared.
        capabilities.register(throwaway(Job("flaky", "jobs_support:count", MINUTE, "fixed")))
        clock.advance(MINUTE)
        fixed = find_job("flaky")
        assert fixed is not None
        assert run_job(platform, fixed, worker="w:1").status is RunStatus.SUCCEEDED
        assert watchdog.watch(platform).endswith("alerts raised: 0, cleared: 1")
    raised, cleared, mails, rows = _alerts(platform)
    assert len(raised) == 1
    assert [(c["job"], c["problem"]) for c in cleared] == [("flaky", "failed")]
    assert rows[0].cleared_at is not None


def test_a_job_that_stops_running_is_overdue_and_alerted_once(platform, clock):
    make_staff(platform, "tom", Role.TECHNICAL_OPERATIONS)
    with registered(Job("ticker", "jobs_support:count", MINUTE, "a job that ticks")):
        job = find_job("ticker")
        assert job is not None
        run_job(platform, job, worker="w:1")
        clock.advance(timedelta(seconds=90))
        watchdog.watch(platform)
        assert "ticker" not in {a["job"] for a in _alerts(platform)[0]}  # within twice
        clock.advance(timedelta(seconds=60))  # 2.5 minutes since the last run
        watchdog.watch(platform)
        watchdog.watch(platform)
        raised, _, mails, _ = _alerts(platform)
        ticker = [a for a in raised if a["job"] == "ticker"]
        assert [(a["problem"], a["messages"]) for a in ticker] == [("overdue", 1)]
        assert any(subject == "Alert: scheduled job ticker has not run" for _, subject, _ in mails)
        # It runs again: cleared.
        run_job(platform, job, worker="w:1")
        watchdog.watch(platform)
        _, cleared, _, _ = _alerts(platform)
        assert ("ticker", "overdue") in {(c["job"], c["problem"]) for c in cleared}


def test_a_failure_after_an_overdue_alert_is_a_new_problem(platform, clock):
    with registered(Job("flaky", "jobs_support:count", MINUTE, "fine at first")):
        fine = find_job("flaky")
        assert fine is not None
        run_job(platform, fine, worker="w:1")
        clock.advance(timedelta(minutes=3))
        watchdog.watch(platform)
        capabilities.register(throwaway(Job("flaky", "jobs_support:explode", MINUTE, "fails")))
        failing = find_job("flaky")
        assert failing is not None
        run_job(platform, failing, worker="w:1")
        watchdog.watch(platform)
    raised, cleared, _, _ = _alerts(platform)
    assert [a["problem"] for a in raised if a["job"] == "flaky"] == ["overdue", "failed"]
    assert ("flaky", "overdue") in {(c["job"], c["problem"]) for c in cleared}
    assert runs(platform, "flaky")[-1].status == "failed"
