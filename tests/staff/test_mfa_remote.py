"""TOTP, single-use and recovery codes, approved remote access (IS-RA-2FA, IS-RA-CRYPTO)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from staff_support import PASSWORD, REMOTE, login, make_staff, new_client, signed_in

from klaremont.staff.models import StaffMfa
from klaremont.staff.permissions import Role
from klaremont.staff.service_mfa import STEP_SECONDS, current_code


def _code(clock, secret: str) -> str:
    return current_code(secret, int(clock.now().timestamp()) // STEP_SECONDS)


def _enrol(client, clock, staff) -> tuple[str, list[str]]:
    """Enrol an authenticator from the office; returns the secret and the recovery codes."""
    headers = signed_in(client, staff)
    started = client.post("/api/auth/mfa/enrol", json={"password": staff.password}, headers=headers)
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/Klaremont:")
    confirmed = client.post(
        "/api/auth/mfa/confirm", json={"code": _code(clock, secret)}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    client.post("/api/auth/logout", headers=headers)
    return secret, confirmed.json()["recovery_codes"]


def _team(platform):
    manager = make_staff(platform, "mona", Role.DIRECTOR)
    techops = make_staff(platform, "theo", Role.TECHNICAL_OPERATIONS)
    worker = make_staff(platform, "remy", manager=manager.id)
    return manager, techops, worker


def _approved_grant(client, worker, manager, techops) -> str:
    headers = signed_in(client, worker)
    grant = client.post(
        "/api/auth/remote-grants", json={"reason": "working from home", "days": 30}, headers=headers
    )
    assert grant.status_code == 201, grant.text
    grant_id = grant.json()["id"]
    for approver in (manager, techops):
        client.cookies.clear()
        headers = signed_in(client, approver)
        approved = client.post(f"/api/auth/remote-grants/{grant_id}/approve", headers=headers)
        assert approved.status_code == 200, approved.text
    assert approved.json()["active"] is True
    client.cookies.clear()
    return grant_id


@pytest.mark.policy("IS-RA-2FA")
def test_remote_login_needs_totp_and_an_approved_grant(platform, office, remote, clock):
    """From outside the office: no code is refused; a code without a grant is refused; both pass."""
    manager, techops, worker = _team(platform)
    secret, _ = _enrol(office, clock, worker)
    clock.advance(timedelta(seconds=STEP_SECONDS))
    assert login(remote, worker).status_code == 401
    assert login(remote, worker, code=_code(clock, secret)).status_code == 401
    _approved_grant(office, worker, manager, techops)
    clock.advance(timedelta(seconds=STEP_SECONDS))
    response = login(remote, worker, code=_code(clock, secret))
    assert response.status_code == 200, response.text
    assert remote.get("/api/auth/me").json()["remote"] is True


@pytest.mark.policy("IS-RA-2FA")
def test_a_totp_code_works_once(platform, office, remote, clock):
    """The same code replayed (even within its 30 seconds) is refused."""
    manager, techops, worker = _team(platform)
    secret, _ = _enrol(office, clock, worker)
    _approved_grant(office, worker, manager, techops)
    clock.advance(timedelta(seconds=STEP_SECONDS))
    code = _code(clock, secret)
    assert login(remote, worker, code=code).status_code == 200
    remote.cookies.clear()
    assert login(remote, worker, code=code).status_code == 401
    clock.advance(timedelta(seconds=STEP_SECONDS))
    assert login(remote, worker, code=_code(clock, secret)).status_code == 200


@pytest.mark.policy("IS-RA-2FA")
def test_recovery_codes_are_single_use(platform, office, remote, clock):
    """A recovery code stands in for a TOTP code once, and never again."""
    manager, techops, worker = _team(platform)
    _, recovery = _enrol(office, clock, worker)
    assert len(recovery) == 10
    _approved_grant(office, worker, manager, techops)
    assert login(remote, worker, code=recovery[0]).status_code == 200
    remote.cookies.clear()
    assert login(remote, worker, code=recovery[0]).status_code == 401


@pytest.mark.policy("IS-RA-2FA")
def test_grant_needs_two_different_approvers_neither_the_grantee(platform, office):
    """Self-approval, approving twice, and approval by an unrelated person are refused."""
    manager, techops, worker = _team(platform)
    outsider = make_staff(platform, "otto", Role.FINANCE)
    headers = signed_in(office, worker)
    grant = office.post(
        "/api/auth/remote-grants", json={"reason": "travel week", "days": 7}, headers=headers
    ).json()
    assert (
        office.post(f"/api/auth/remote-grants/{grant['id']}/approve", headers=headers).status_code
        == 403
    )
    for who, expected in ((outsider, 403), (manager, 200), (manager, 403)):
        office.cookies.clear()
        headers = signed_in(office, who)
        response = office.post(f"/api/auth/remote-grants/{grant['id']}/approve", headers=headers)
        assert response.status_code == expected, (who.username, response.text)
    assert response.json()["type"].endswith("/permission-denied")
    office.cookies.clear()
    headers = signed_in(office, techops)
    approved = office.post(f"/api/auth/remote-grants/{grant['id']}/approve", headers=headers)
    assert approved.json()["active"] is True


@pytest.mark.policy("IS-RA-2FA", "IS-AC-LEAVER")
def test_revoking_a_grant_ends_remote_use_at_once(platform, office, remote, clock):
    """A remote session stops working on the next request once its grant is revoked."""
    manager, techops, worker = _team(platform)
    iso = make_staff(platform, "isla", Role.ISO)
    secret, _ = _enrol(office, clock, worker)
    grant_id = _approved_grant(office, worker, manager, techops)
    clock.advance(timedelta(seconds=STEP_SECONDS))
    assert login(remote, worker, code=_code(clock, secret)).status_code == 200
    headers = signed_in(office, iso)
    revoked = office.post(
        f"/api/staff/remote-grants/{grant_id}/revoke",
        json={"reason": "left project"},
        headers=headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert remote.get("/api/auth/me").status_code == 401


@pytest.mark.policy("IS-RA-CRYPTO")
def test_remote_access_over_plain_http_is_refused(platform, office, clock):
    """A remote login over plain HTTP is refused even with a code and a grant."""
    manager, techops, worker = _team(platform)
    secret, _ = _enrol(office, clock, worker)
    _approved_grant(office, worker, manager, techops)
    clock.advance(timedelta(seconds=STEP_SECONDS))
    with type(office)(office.app, base_url="http://testserver", client=REMOTE) as plain:
        assert login(plain, worker, code=_code(clock, secret)).status_code == 401


@pytest.mark.policy("IS-RA-2FA")
def test_totp_secret_is_sealed_at_rest(platform, office, clock):
    """The TOTP secret is stored encrypted: its text is nowhere in the staff_mfa row."""
    _, _, worker = _team(platform)
    secret, _ = _enrol(office, clock, worker)
    with platform.unit_of_work() as uow:
        raw = uow.session.execute(text("SELECT totp_secret FROM staff_mfa")).scalar_one()
        assert secret.encode() not in bytes(raw)
        assert uow.session.query(StaffMfa).one().totp_secret == secret


@pytest.mark.policy("IS-RA-2FA")
def test_enrolment_needs_the_password_and_a_confirmed_code(platform, office, clock):
    """Enrolment refuses a wrong password, and a wrong first code leaves it unconfirmed."""
    _, _, worker = _team(platform)
    headers = signed_in(office, worker)
    assert (
        office.post(
            "/api/auth/mfa/enrol", json={"password": "nope-nope"}, headers=headers
        ).status_code
        == 401
    )
    started = office.post("/api/auth/mfa/enrol", json={"password": PASSWORD}, headers=headers)
    assert started.status_code == 200
    assert (
        office.post("/api/auth/mfa/confirm", json={"code": "000000"}, headers=headers).status_code
        == 422
    )
    assert office.get("/api/auth/me").json()["mfa_enrolled"] is False
    with new_client(platform) as other:
        assert other.get("/api/auth/me").status_code == 401


@pytest.mark.policy("IS-RA-2FA")
def test_grant_requests_need_a_manager_a_reason_and_a_bounded_length(platform, office):
    """No line manager, no reason, or too long a grant: each refused with a clear answer."""
    loner = make_staff(platform, "lone")
    headers = signed_in(office, loner)
    no_manager = office.post(
        "/api/auth/remote-grants", json={"reason": "home office", "days": 3}, headers=headers
    )
    assert no_manager.status_code == 409
    too_long = office.post(
        "/api/auth/remote-grants", json={"reason": "home office", "days": 400}, headers=headers
    )
    assert too_long.status_code == 422
    assert "days" in too_long.text


@pytest.mark.policy("IS-RA-2FA")
def test_approvers_see_what_waits_for_them(platform, office):
    """The manager and technical operations each see the pending grant; others do not."""
    manager, techops, worker = _team(platform)
    outsider = make_staff(platform, "oona", Role.FINANCE)
    headers = signed_in(office, worker)
    body = {"reason": "site visit", "days": 2}
    office.post("/api/auth/remote-grants", json=body, headers=headers)
    for who, expected in ((manager, 1), (techops, 1), (outsider, 0)):
        office.cookies.clear()
        signed_in(office, who)
        assert len(office.get("/api/auth/remote-grants").json()) == expected, who.username


@pytest.mark.policy("IS-RA-2FA")
def test_a_lost_authenticator_is_reset_by_the_iso(platform, office, clock):
    """Enrolling twice is refused; the ISO's reset removes the authenticator and its sessions."""
    _, _, worker = _team(platform)
    iso = make_staff(platform, "isaac", Role.ISO)
    _enrol(office, clock, worker)
    headers = signed_in(office, worker)
    again = office.post("/api/auth/mfa/enrol", json={"password": PASSWORD}, headers=headers)
    assert again.status_code == 409
    with new_client(platform) as admin:
        reset = admin.post(f"/api/staff/{worker.id}/mfa-reset", headers=signed_in(admin, iso))
        assert reset.status_code == 204
    assert office.get("/api/auth/me").status_code == 401
    signed_in(office, worker)
    assert office.get("/api/auth/me").json()["mfa_enrolled"] is False


@pytest.mark.policy("IS-RA-CRYPTO", "IS-RA-2FA")
def test_a_remote_session_is_refused_over_plain_http(platform, office, remote, clock):
    """A remote session opened over TLS is refused when its cookie arrives over plain HTTP."""
    manager, techops, worker = _team(platform)
    secret, _ = _enrol(office, clock, worker)
    _approved_grant(office, worker, manager, techops)
    clock.advance(timedelta(seconds=STEP_SECONDS))
    assert login(remote, worker, code=_code(clock, secret)).status_code == 200
    key = remote.cookies.get("klaremont_staff")
    with type(office)(office.app, base_url="http://testserver", client=REMOTE) as plain:
        response = plain.get("/api/auth/me", headers={"Cookie": f"klaremont_staff={key}"})
    assert response.status_code == 401
    assert remote.get("/api/auth/me").status_code == 200
