"""Lockout after three consecutive failures, unlock, and its audit trail (IS-PW-LOCK3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import login, make_staff, signed_in

from klaremont.audit.models import AuditEvent
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role
from klaremont.staff.service_authn import Channel, Credentials, authenticate

WRONG = "not-the-password-at-all"


def _account(platform, staff):
    with platform.unit_of_work() as uow:
        return uow.session.get(StaffAccount, staff.id)


def _events(platform, action):
    with platform.unit_of_work() as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [(r.outcome, r.details_dict()) for r in rows]


@pytest.mark.policy("IS-PW-LOCK3")
def test_locks_on_exactly_the_third_consecutive_failure(platform, office):
    """Two failures leave the account open; the third locks it; then the right password fails."""
    bob = make_staff(platform, "bob")
    for _ in range(2):
        assert login(office, bob, password=WRONG).status_code == 401
    assert _account(platform, bob).locked_at is None
    assert _account(platform, bob).failed_attempts == 2
    assert login(office, bob, password=WRONG).status_code == 401
    assert _account(platform, bob).locked_at is not None
    assert login(office, bob).status_code == 401
    lockouts = _events(platform, "auth.lockout")
    assert len(lockouts) == 1
    assert lockouts[0][1]["failures"] == 3


@pytest.mark.policy("IS-PW-LOCK3")
def test_a_success_resets_the_count(platform, office):
    """Failures must be consecutive: a successful login in between starts the count again."""
    carol = make_staff(platform, "carol")
    for _ in range(2):
        login(office, carol, password=WRONG)
    assert login(office, carol).status_code == 200
    assert _account(platform, carol).failed_attempts == 0
    for _ in range(2):
        login(office, carol, password=WRONG)
    assert _account(platform, carol).locked_at is None


@pytest.mark.policy("IS-PW-LOCK3", "IS-AC-LOGIN-LOG")
def test_iso_unlocks_and_it_is_audited(platform, office):
    """The ISO can unlock a locked account early; lock and unlock are audited."""
    iso = make_staff(platform, "irene", Role.ISO)
    dave = make_staff(platform, "dave")
    for _ in range(3):
        login(office, dave, password=WRONG)
    headers = signed_in(office, iso)
    response = office.post(f"/api/staff/{dave.id}/unlock", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["locked"] is False
    office.cookies.clear()
    assert login(office, dave).status_code == 200
    unlocks = _events(platform, "auth.unlock")
    assert len(unlocks) == 1
    assert unlocks[0][1]["username"] == "dave"


@pytest.mark.policy("IS-PW-LOCK3")
def test_the_lock_ends_by_itself_after_the_policy_period(platform, office, clock):
    """The lock lasts lockout.lockout_minutes (30) and then lifts by itself (PCI DSS 8.3.4)."""
    erin = make_staff(platform, "erin")
    for _ in range(3):
        login(office, erin, password=WRONG)
    clock.advance(timedelta(minutes=29))
    assert login(office, erin).status_code == 401
    clock.advance(timedelta(minutes=2))
    assert login(office, erin).status_code == 200
    assert _events(platform, "auth.unlock")[0][1]["by"] == "timer"


@pytest.mark.policy("IS-PW-LOCK3")
def test_the_policy_lock_period_is_used(platform, office, clock):
    """A longer period in the policy file keeps the lock for that long."""
    platform.policy = platform.policy.model_copy(
        update={"lockout": platform.policy.lockout.model_copy(update={"lockout_minutes": 120})}
    )
    gail = make_staff(platform, "gail")
    for _ in range(3):
        login(office, gail, password=WRONG)
    clock.advance(timedelta(minutes=119))
    assert login(office, gail).status_code == 401
    clock.advance(timedelta(minutes=2))
    assert login(office, gail).status_code == 200


@pytest.mark.policy("IS-PW-LOCK3", "IS-AC-LEAVER")
def test_lockout_ends_live_sessions(platform, office):
    """When an account locks, its open sessions end with it."""
    frank = make_staff(platform, "frank")
    signed_in(office, frank)
    assert office.get("/api/auth/me").status_code == 200
    with platform.unit_of_work() as uow:
        for _ in range(3):
            authenticate(uow, Credentials("frank", WRONG), Channel.API)
    assert office.get("/api/auth/me").status_code == 401
