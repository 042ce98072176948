"""The clauses the worker upholds: the worker (not cron) runs their jobs, and the live
checks fail when those jobs stop or fail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jobs_support import TEST_ACTOR, customer, runs
from sqlalchemy import select

from klaremont.jobs import checks
from klaremont.jobs.config import find_job
from klaremont.jobs.models import JobRun
from klaremont.jobs.runner import run_job
from klaremont.jobs.worker import Worker
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.policy.live import StaticContext
from klaremont.rights import erasure, intake
from klaremont.rights.models import RequestKind
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff


@pytest.mark.policy("IS-AC-INACTIVE")
def test_the_worker_disables_an_account_idle_past_the_policy_period(platform, clock):
    make_staff(platform, "quinn", Role.SUPPORT_AGENT)
    worker = Worker(platform, identity="w:1")
    worker.catch_up()
    clock.advance(timedelta(days=platform.policy.accounts.inactivity_days + 1))
    worker.catch_up()  # a new day: the sweep's new slot
    with platform.unit_of_work() as uow:
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == "quinn")
        ).one()
        assert account.status == "disabled"
    sweeps = runs(platform, "inactivity-sweep")
    assert [r.status for r in sweeps] == ["succeeded", "succeeded"]
    assert sweeps[-1].summary == "checked 1: disabled 1 inactive and 0 expired"


@pytest.mark.policy("DP-PROMPT", "IS-SENS-DISPOSE", "IS-AC-INACTIVE")
def test_live_checks_hold_only_while_the_jobs_run(platform, clock):
    for check in (checks.dsr_due_alert_ran, checks.shredding_ran, checks.inactivity_sweep_ran):
        fresh = check(platform)  # no worker has run on this database yet: cannot tell
        assert fresh.unknown
        assert not fresh.holds
        assert "no worker has run any job on this database yet" in fresh.detail
    dsr = find_job("dsr-due-alert")
    assert dsr is not None
    run_job(platform, dsr, worker="w:1")  # a worker ran one job, never the others
    assert checks.dsr_due_alert_ran(platform).holds
    not_due = checks.shredding_ran(platform)  # the worker started within twice a day
    assert not_due.holds
    assert not not_due.unknown
    assert "not due yet" in not_due.detail
    clock.advance(timedelta(days=2, minutes=1))
    never = checks.shredding_ran(platform)
    assert not never.holds
    assert "more than twice its interval" in never.detail
    Worker(platform, identity="w:1").catch_up()
    for check in (checks.dsr_due_alert_ran, checks.shredding_ran, checks.inactivity_sweep_ran):
        assert check(platform).holds, check(platform).detail
    clock.advance(timedelta(days=2, minutes=1))  # no run for twice the daily interval
    stale = checks.shredding_ran(platform)
    assert not stale.holds
    assert "more than twice its interval" in stale.detail
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(select(JobRun).where(JobRun.job == "inactivity-sweep")).one()
        row.status = "failed"
        row.error = "RuntimeError: boom"
    failed = checks.inactivity_sweep_ran(platform)
    assert not failed.holds
    assert "failed on its last run" in failed.detail


def test_live_checks_without_a_database_and_for_an_undeclared_job(platform):
    static = StaticContext(platform.settings, platform.policy, platform.clock)
    without = checks.dsr_due_alert_ran(static)
    assert (without.holds, without.unknown) == (False, True)
    assert not checks.job_ran(platform, "no-such-job").holds
    assert find_job("dsr-due-alert") is not None


@pytest.mark.policy("IS-SENS-DISPOSE", "PP-R-ERASE")
def test_the_worker_shreds_an_erased_persons_key_once_nothing_needs_it(platform):
    """Nothing held and the confirmation sent: the worker's shred-due run destroys the key."""
    who = customer(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, who, RequestKind.ERASURE)
        erasure.erase(uow, made.id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for message in uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject_id == who.subject_id)
        ).all():
            message.status = MailStatus.SENT
    assert not platform.keystore.is_destroyed(who.subject_id)
    Worker(platform, identity="w:1").catch_up()
    assert platform.keystore.is_destroyed(who.subject_id)
    (run,) = runs(platform, "shred-due")
    assert run.summary == "1 data keys destroyed, 0 expired copies deleted"
