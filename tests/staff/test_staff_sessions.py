"""Console sessions, anti-forgery tokens and API tokens (IS-USE-LOCK, IS-USE-CRED, IS-AC-LEAVER)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from staff_support import NEW_PASSWORD, PASSWORD, login, make_staff, new_client, signed_in

from klaremont.staff.models import StaffSession
from klaremont.staff.permissions import Role


def _cookie_header(response) -> str:
    return next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith("klaremont_staff=")
    )


@pytest.mark.policy("IS-USE-CRED")
def test_session_cookie_is_opaque_and_locked_down(platform, office):
    """The cookie is a random key (HttpOnly, Secure, SameSite=Strict, Path=/) stored as SHA-256."""
    nia = make_staff(platform, "nia")
    response = login(office, nia)
    header = _cookie_header(response)
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert attribute.lower() in header.lower()
    key = office.cookies.get("klaremont_staff")
    assert len(key) >= 43
    assert "nia" not in key
    with platform.unit_of_work() as uow:
        stored = uow.session.execute(text("SELECT key_hash FROM staff_sessions")).scalars().all()
    assert stored == [hashlib.sha256(key.encode()).hexdigest()]


@pytest.mark.policy("IS-USE-CRED")
def test_every_login_gets_a_new_key(platform, office):
    """Signing in twice gives two different keys (no session fixation)."""
    oli = make_staff(platform, "oli")
    login(office, oli)
    first = office.cookies.get("klaremont_staff")
    login(office, oli)
    assert office.cookies.get("klaremont_staff") != first


@pytest.mark.policy("IS-USE-LOCK")
def test_idle_sessions_end_after_the_policy_minutes(platform, office, clock):
    """A session used within 15 minutes lives on; one idle for 15 minutes must sign in again."""
    pia = make_staff(platform, "pia")
    signed_in(office, pia)
    clock.advance(timedelta(minutes=14))
    assert office.get("/api/auth/me").status_code == 200
    clock.advance(timedelta(minutes=14))
    assert office.get("/api/auth/me").status_code == 200
    clock.advance(timedelta(minutes=15))
    response = office.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["type"].endswith("/session-ended")


@pytest.mark.policy("IS-USE-LOCK")
def test_sessions_have_an_absolute_lifetime(platform, office, clock):
    """Even a busy session ends after the policy's absolute lifetime."""
    raj = make_staff(platform, "raj")
    signed_in(office, raj)
    for _ in range(59):  # 11 h 48 min of activity, never idle for long
        clock.advance(timedelta(minutes=12))
        assert office.get("/api/auth/me").status_code == 200
    clock.advance(timedelta(minutes=12))  # 12 hours after sign-in
    assert office.get("/api/auth/me").status_code == 401


@pytest.mark.policy("IS-AC-LEAVER", "IS-PW-60")
def test_password_change_ends_every_other_session(platform, office):
    """Changing the password ends the account's other sessions; the changer gets a fresh key."""
    sue = make_staff(platform, "sue")
    with new_client(platform) as laptop:
        signed_in(laptop, sue)
        headers = signed_in(office, sue)
        old_key = office.cookies.get("klaremont_staff")
        changed = office.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=headers,
        )
        assert changed.status_code == 200
        assert office.cookies.get("klaremont_staff") != old_key
        assert office.get("/api/auth/me").status_code == 200
        assert laptop.get("/api/auth/me").status_code == 401


@pytest.mark.policy("IS-AC-LEAVER")
def test_disabling_an_account_ends_its_sessions(platform, office):
    """A disabled account's open session is refused on its next request."""
    iso = make_staff(platform, "ilse", Role.ISO)
    tom = make_staff(platform, "tomas")
    with new_client(platform) as tom_client:
        signed_in(tom_client, tom)
        headers = signed_in(office, iso)
        response = office.post(
            f"/api/staff/{tom.id}/disable", json={"reason": "suspended"}, headers=headers
        )
        assert response.status_code == 200
        assert tom_client.get("/api/auth/me").status_code == 401
    with platform.unit_of_work() as uow:
        ended = uow.session.scalars(
            select(StaffSession).where(StaffSession.account_id == tom.id)
        ).one()
        assert ended.end_reason == "disabled:suspended"


@pytest.mark.policy("IS-USE-SCAN")
def test_cookie_requests_need_the_anti_forgery_token(platform, office):
    """An unsafe cookie request without the CSRF token is refused and audited."""
    uma = make_staff(platform, "uma")
    signed_in(office, uma)
    response = office.post("/api/auth/logout")
    assert response.status_code == 403
    assert response.json()["type"].endswith("/csrf-rejected")
    wrong = office.post("/api/auth/logout", headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    assert office.get("/api/auth/me").status_code == 200


@pytest.mark.policy("IS-USE-CRED")
def test_api_tokens_are_hashed_revocable_and_expiring(platform, office, clock):
    """A token is shown once, stored as a digest, and stops on revocation or expiry."""
    make_staff(platform, "val")
    issued = office.post(
        "/api/auth/tokens",
        json={
            "username": "val",
            "password": PASSWORD,
            "name": "report",
            "scopes": ["read"],
            "days": 1,
        },
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert office.get("/api/auth/me", headers=bearer).json()["via"] == "token"
    with platform.unit_of_work() as uow:
        stored = uow.session.execute(text("SELECT token_hash FROM staff_api_tokens")).scalar_one()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    listed = office.get("/api/auth/tokens", headers=bearer)
    assert token not in listed.text
    clock.advance(timedelta(days=1))
    assert office.get("/api/auth/me", headers=bearer).status_code == 401
    second = office.post(
        "/api/auth/tokens",
        json={"username": "val", "password": PASSWORD, "name": "report2", "scopes": ["write"]},
    ).json()
    bearer = {"Authorization": f"Bearer {second['token']}"}
    assert office.delete(f"/api/auth/tokens/{second['id']}", headers=bearer).status_code == 204
    assert office.get("/api/auth/me", headers=bearer).status_code == 401


@pytest.mark.policy("IS-RA-2FA")
def test_a_token_from_outside_the_office_needs_a_grant(platform, office, remote):
    """A token issued in the office is refused when used from outside without remote access."""
    make_staff(platform, "wes")
    token = office.post(
        "/api/auth/tokens",
        json={"username": "wes", "password": PASSWORD, "name": "cron", "scopes": ["read"]},
    ).json()["token"]
    response = remote.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["type"].endswith("/remote-access-refused")


@pytest.mark.policy("IS-USE-LOCK")
def test_sensitive_actions_need_a_recent_password(platform, office, clock):
    """Admin actions older than the re-authentication window ask for the password again."""
    iso = make_staff(platform, "ada", Role.ISO)
    other = make_staff(platform, "abe")
    headers = signed_in(office, iso)
    clock.advance(timedelta(minutes=6))
    stale = office.post(f"/api/staff/{other.id}/unlock", headers=headers)
    assert stale.status_code == 403
    assert stale.json()["type"].endswith("/reauthentication-required")
    assert (
        office.post("/api/auth/reauth", json={"password": PASSWORD}, headers=headers).status_code
        == 204
    )
    assert office.post(f"/api/staff/{other.id}/unlock", headers=headers).status_code == 200


@pytest.mark.policy("IS-AC-LEAVER")
def test_token_use_is_recorded_and_ends_with_the_account(platform, office, clock):
    """A token's last use is stored (at most every 30 s); once its account is locked the
    token is refused, and a route needing the account row loads it only then."""
    from klaremont.staff.models import ApiToken, StaffAccount  # noqa: PLC0415

    make_staff(platform, "xan")
    token = office.post(
        "/api/auth/tokens",
        json={"username": "xan", "password": PASSWORD, "name": "sync", "scopes": ["read"]},
    ).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}

    def last_used():
        with platform.unit_of_work() as uow:
            return uow.session.scalars(select(ApiToken.last_used_at)).one()

    assert last_used() is None
    assert office.get("/api/auth/tokens", headers=bearer).status_code == 200  # loads the row
    first = last_used()
    assert first is not None
    clock.advance(timedelta(seconds=10))
    office.get("/api/auth/me", headers=bearer)
    assert last_used() == first  # within the resolution: no write per request
    clock.advance(timedelta(seconds=30))
    office.get("/api/auth/me", headers=bearer)
    assert last_used() > first
    with platform.unit_of_work() as uow:
        account = uow.session.scalars(select(StaffAccount).filter_by(username="xan")).one()
        account.locked_at = clock.now()
    assert office.get("/api/auth/me", headers=bearer).status_code == 401
