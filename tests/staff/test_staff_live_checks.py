"""Live checks: staff clauses hold, or say why not, on this deployment right now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from staff_support import make_staff

from klaremont.jobs.worker import Worker
from klaremont.policy.live import REGISTRY, LiveStatus, load_all_checks
from klaremont.staff import checks, service_lifecycle, service_review
from klaremont.staff.jobs import inactivity_sweep
from klaremont.staff.permissions import Role
from klaremont.staff.service_accounts import get_account


def _status(platform, clause: str):
    load_all_checks()
    return REGISTRY.run(clause, platform)


@pytest.mark.policy("IS-PW-LOCK3", "IS-PW-60", "IS-USE-LOCK", "IS-RA-2FA")
def test_policy_value_checks_hold_for_the_shipped_policy(platform):
    """Lockout, expiry, idle timeout and remote-access rules hold with the shipped policy file."""
    for clause in ("IS-PW-LOCK3", "IS-PW-60", "IS-USE-LOCK", "IS-RA-2FA"):
        outcome = _status(platform, clause)
        assert outcome.status is LiveStatus.HOLDS, (clause, outcome.detail)


@pytest.mark.policy("IS-PW-LOCK3")
def test_a_looser_policy_fails_its_check(platform):
    """A policy that allows five failures fails the IS-PW-LOCK3 check, naming the number."""
    platform.policy = platform.policy.model_copy(
        update={"lockout": platform.policy.lockout.model_copy(update={"threshold": 5})}
    )
    outcome = _status(platform, "IS-PW-LOCK3")
    assert outcome.status is LiveStatus.FAILS
    assert "after 5" in outcome.detail


@pytest.mark.policy("IS-AC-INACTIVE", "IS-AC-MAINT")
def test_idle_and_expired_accounts_fail_until_swept(platform, clock):
    """An idle or expired account makes its clause fail until the sweep disables it."""
    Worker(platform, identity="w:1").catch_up()  # the worker runs here (its jobs' checks hold)
    sponsor = make_staff(platform, "spon", Role.TECHNICAL_OPERATIONS)
    with platform.unit_of_work() as uow:
        service_lifecycle.create_maintenance_account(
            uow,
            username="fixr",
            full_name="F",
            work_email="f@x.example",
            hours=1,
            sponsor_id=sponsor.id,
            created_by="t",
        )
    assert _status(platform, "IS-AC-INACTIVE").status is LiveStatus.HOLDS
    assert _status(platform, "IS-AC-MAINT").status is LiveStatus.HOLDS
    clock.advance(timedelta(days=91))
    for clause, why in (("IS-AC-INACTIVE", "idle over 90 days: spon, fixr"),
                        ("IS-AC-MAINT", "1 maintenance accounts past their window")):  # fmt: skip
        failed = _status(platform, clause)
        assert failed.status is LiveStatus.FAILS
        assert why in failed.detail
    with platform.unit_of_work() as uow:
        inactivity_sweep(uow)
    # the accounts are swept; the worker's own runs are now overdue too, until it runs again
    assert "more than twice its interval" in _status(platform, "IS-AC-INACTIVE").detail
    Worker(platform, identity="w:1").catch_up()
    assert _status(platform, "IS-AC-INACTIVE").status is LiveStatus.HOLDS
    assert _status(platform, "IS-AC-MAINT").status is LiveStatus.HOLDS


@pytest.mark.policy("IS-AC-LEAVER", "IS-AC-REVIEW")
def test_leaver_and_review_checks(platform, clock):
    """Leavers hold nothing after offboarding; the review check needs a recent sign-off."""
    iso = make_staff(platform, "ivor", Role.ISO)
    leaver = make_staff(platform, "lenny")
    with platform.unit_of_work() as uow:
        service_lifecycle.offboard(uow, leaver.id, by="t")
    assert _status(platform, "IS-AC-LEAVER").status is LiveStatus.HOLDS
    assert _status(platform, "IS-AC-REVIEW").status is LiveStatus.FAILS
    with platform.unit_of_work() as uow:
        report = service_review.build_report(uow)
        service_review.sign_off(uow, get_account(uow, iso.id), digest=report.digest, notes=None)
    assert _status(platform, "IS-AC-REVIEW").status is LiveStatus.HOLDS
    clock.advance(timedelta(days=91))
    assert _status(platform, "IS-AC-REVIEW").status is LiveStatus.FAILS


@dataclass
class PolicyOnly:
    """A context with settings, policy and clock but no database."""

    settings: object
    policy: object
    clock: object


def test_without_a_database_the_checks_say_so(platform):
    """Database checks answer honestly when the context has no database."""
    context = PolicyOnly(platform.settings, platform.policy, platform.clock)
    result = checks.no_idle_active_accounts(context)
    assert (result.holds, result.unknown) == (False, True)
    assert result.detail == checks.NO_DATABASE
