"""Leavers, inactive and maintenance accounts (IS-AC-LEAVER, IS-AC-INACTIVE, IS-AC-MAINT)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import PASSWORD, login, make_staff, new_client, signed_in

from klaremont import events
from klaremont.audit.models import AuditEvent
from klaremont.staff import jobs
from klaremont.staff.announcements import StaffLeft
from klaremont.staff.hashing import UNUSABLE
from klaremont.staff.models import ApiToken, RemoteGrant, StaffAccount, StaffMfa, StaffRole
from klaremont.staff.permissions import Role
from klaremont.staff.service_lifecycle import create_maintenance_account
from klaremont.staff.service_mfa import STEP_SECONDS, current_code


@pytest.fixture
def recorded_hook():
    """A subscriber to StaffLeft that records whom it was called for."""
    seen: list[str] = []

    def record(uow, event):
        seen.append(event.username)
        return "recorded"

    events.subscribe(StaffLeft, "test-recorder", record)
    yield seen
    events.unsubscribe(StaffLeft, "test-recorder")


@pytest.fixture
def broken_hook():
    """A subscriber to StaffLeft that fails."""

    def broken(uow, event):
        raise RuntimeError("device service unavailable")

    events.subscribe(StaffLeft, "test-broken", broken)
    yield
    events.unsubscribe(StaffLeft, "test-broken")


@pytest.mark.policy("IS-AC-LEAVER")
def test_offboarding_revokes_everything_within_the_request(
    platform, office, clock, recorded_hook, broken_hook
):
    """Once offboarding returns, the old cookie gets 401 and every credential is gone."""
    iso = make_staff(platform, "ines", Role.ISO)
    leaver = make_staff(platform, "leo", manager=iso.id)
    with new_client(platform) as leaver_client:
        headers = signed_in(leaver_client, leaver)
        secret = leaver_client.post(
            "/api/auth/mfa/enrol", json={"password": PASSWORD}, headers=headers
        ).json()["secret"]
        code = current_code(secret, int(clock.now().timestamp()) // STEP_SECONDS)
        leaver_client.post("/api/auth/mfa/confirm", json={"code": code}, headers=headers)
        token = leaver_client.post(
            "/api/auth/tokens",
            json={"username": "leo", "password": PASSWORD, "name": "cron", "scopes": ["read"]},
        ).json()["token"]
        leaver_client.post(
            "/api/auth/remote-grants", json={"reason": "on call", "days": 5}, headers=headers
        )
        assert leaver_client.get("/api/auth/me").status_code == 200
        admin = signed_in(office, iso)
        report = office.post(f"/api/staff/{leaver.id}/offboard", headers=admin)
        assert report.status_code == 200, report.text
        body = report.json()
        assert body["sessions"] == 1
        assert body["api_tokens"] == 1
        assert body["remote_grants"] == 1
        assert body["mfa"] is True
        assert body["roles"] == ["support_agent"]
        assert body["hooks"] == {
            "test-broken": "failed: RuntimeError",
            "test-recorder": "recorded",
            "wifi:devices_of_leaver": "0 wireless device(s) removed",  # the wireless capability
        }
        assert recorded_hook == ["leo"]
        assert leaver_client.get("/api/auth/me").status_code == 401
        assert (
            leaver_client.get(
                "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            == 401
        )
        leaver_client.cookies.clear()
        assert login(leaver_client, leaver).status_code == 401
    with platform.unit_of_work() as uow:
        account = uow.session.get(StaffAccount, leaver.id)
        assert account.status == "offboarded"
        assert account.password_hash == UNUSABLE
        assert (
            uow.session.scalars(select(StaffRole).where(StaffRole.account_id == leaver.id)).all()
            == []
        )
        assert (
            uow.session.scalars(select(StaffMfa).where(StaffMfa.account_id == leaver.id)).all()
            == []
        )
        assert all(t.revoked_at for t in uow.session.scalars(select(ApiToken)).all())
        assert all(g.revoked_at for g in uow.session.scalars(select(RemoteGrant)).all())
        event = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.offboard")
        ).one()
        assert event.details_dict()["hooks"]["test-broken"].startswith("failed")


@pytest.mark.policy("IS-AC-LEAVER")
def test_nobody_offboards_themselves_and_offboarding_is_permanent(platform, office):
    """Nobody offboards their own account, and an offboarded account is never enabled again."""
    iso = make_staff(platform, "ines", Role.ISO)
    leaver = make_staff(platform, "lena")
    headers = signed_in(office, iso)
    assert office.post(f"/api/staff/{iso.id}/offboard", headers=headers).status_code == 403
    assert office.post(f"/api/staff/{leaver.id}/offboard", headers=headers).status_code == 200
    assert office.post(f"/api/staff/{leaver.id}/offboard", headers=headers).status_code == 409
    assert office.post(f"/api/staff/{leaver.id}/enable", headers=headers).status_code == 409


@pytest.mark.policy("IS-AC-INACTIVE")
def test_day_91_of_inactivity_disables_the_account(platform, clock):
    """The sweep disables an account idle for the policy's 90 days, not one idle for 89."""
    quiet = make_staff(platform, "quinn")
    busy = make_staff(platform, "bea")
    clock.advance(timedelta(days=60))
    with platform.unit_of_work() as uow:
        uow.session.get(StaffAccount, busy.id).last_login_at = clock.now()
    clock.advance(timedelta(days=29))
    with platform.unit_of_work() as uow:
        assert jobs.inactivity_sweep(uow).disabled == 0
    clock.advance(timedelta(days=2))
    with platform.unit_of_work() as uow:
        report = jobs.inactivity_sweep(uow)
    assert report.inactive == ["quinn"]
    with platform.unit_of_work() as uow:
        assert uow.session.get(StaffAccount, quiet.id).status == "disabled"
        assert uow.session.get(StaffAccount, busy.id).status == "active"
        assert jobs.inactivity_sweep(uow).disabled == 0


@pytest.mark.policy("IS-AC-INACTIVE")
def test_inactive_disabled_account_cannot_sign_in_until_enabled(platform, office, clock):
    """A disabled account's login fails; re-enabling restarts its inactivity clock."""
    idle = make_staff(platform, "ian")
    clock.advance(timedelta(days=91))
    with platform.unit_of_work() as uow:
        jobs.inactivity_sweep(uow)
    assert login(office, idle).status_code == 401
    iso = make_staff(platform, "ivo", Role.ISO)
    headers = signed_in(office, iso)
    assert office.post(f"/api/staff/{idle.id}/enable", headers=headers).status_code == 200
    office.cookies.clear()
    response = login(office, idle)
    assert response.status_code == 200
    assert response.json()["must_change_password"] is True  # 91 days also expired the password
    with platform.unit_of_work() as uow:
        assert jobs.inactivity_sweep(uow).disabled == 0


@pytest.mark.policy("IS-AC-MAINT")
def test_maintenance_account_expires_on_its_own(platform, office, clock):
    """A maintenance account works inside its window and is refused, then disabled, after it."""
    techops = make_staff(platform, "tess", Role.TECHNICAL_OPERATIONS)
    headers = signed_in(office, techops)
    too_long = office.post(
        "/api/staff/maintenance",
        json={"username": "vendor", "full_name": "Vendor", "work_email": "v@x.example", "hours": 9},
        headers=headers,
    )
    assert too_long.status_code == 422
    created = office.post(
        "/api/staff/maintenance",
        json={"username": "vendor", "full_name": "Vendor", "work_email": "v@x.example", "hours": 2},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    one_time = created.json()["one_time_password"]
    assert created.json()["account"]["roles"] == ["maintenance"]
    with new_client(platform) as vendor:
        first = vendor.post("/api/auth/login", json={"username": "vendor", "password": one_time})
        assert first.status_code == 200
        clock.advance(timedelta(hours=2, seconds=1))
        assert vendor.get("/api/auth/me").status_code == 401
        vendor.cookies.clear()
        again = vendor.post("/api/auth/login", json={"username": "vendor", "password": one_time})
        assert again.status_code == 401
    with platform.unit_of_work() as uow:
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == "vendor")
        ).one()
        assert account.status == "disabled"
        assert account.status_reason == "expired"


@pytest.mark.policy("IS-AC-MAINT")
def test_sweep_disables_expired_maintenance_accounts(platform, clock):
    """The scheduled sweep disables a maintenance account whose window ended, without a login."""
    sponsor = make_staff(platform, "sol", Role.TECHNICAL_OPERATIONS)
    with platform.unit_of_work() as uow:
        create_maintenance_account(
            uow,
            username="fixer",
            full_name="Fixer",
            work_email="f@x.example",
            hours=8,
            sponsor_id=sponsor.id,
            created_by="test",
        )
    clock.advance(timedelta(hours=8))
    with platform.unit_of_work() as uow:
        assert jobs.inactivity_sweep(uow).expired == ["fixer"]
