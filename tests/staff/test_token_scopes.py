"""API tokens carry scopes, and administrative actions need a fresh authentication.

A console session asks for the password again after ``reauth_for_sensitive_minutes``
before an administrative action; a token used to skip that rule for its 30 days. Now a
token does what its scopes say, an admin token lasts ``api_token_admin_minutes`` (never
longer than the re-authentication window), and an older token's administrative request
is refused with 403 naming the rule, audited.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from importlib import resources

import pytest
from sqlalchemy import select
from staff_support import PASSWORD, make_staff, signed_in

from klaremont.audit.models import AuditEvent
from klaremont.errors import PolicyFileError
from klaremont.policy.loader import SHIPPED_NAME, validate_policy
from klaremont.staff.permissions import Role

NEW_HIRE = {
    "username": "newhire",
    "full_name": "New Hire",
    "work_email": "newhire@klaremont.example",
    "job_role": "support_agent",
    "vetted_on": "2025-01-06",
}


def _token(client, username: str, scopes: list[str], **extra) -> dict:
    response = client.post(
        "/api/auth/tokens",
        json={"username": username, "password": PASSWORD, "name": "script", "scopes": scopes}
        | extra,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _bearer(issued: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {issued['token']}"}


def _lock(client, username: str) -> None:
    for _ in range(3):
        client.post("/api/auth/login", json={"username": username, "password": "wrong-guess-1"})


def _denials(platform) -> list[dict]:
    with platform.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "authz.denied").order_by(AuditEvent.seq)
        ).all()
        return [row.details_dict() for row in rows]


def _admin_calls(office, target_id: str, headers: dict[str, str]) -> dict[str, int]:
    return {
        "unlock": office.post(f"/api/staff/{target_id}/unlock", headers=headers).status_code,
        "reset": office.post(f"/api/staff/{target_id}/reset-password", headers=headers).status_code,
        "create": office.post("/api/staff", json=NEW_HIRE, headers=headers).status_code,
    }


@pytest.mark.policy("IS-USE-LOCK", "IS-SENS-NEED")
def test_a_six_minute_old_token_cannot_unlock_reset_or_create_staff(platform, office, clock):
    """The issue's case: a read-and-write token and an admin token, both 6 minutes old,
    are refused for unlock, password reset and staff creation; nothing changes."""
    make_staff(platform, "iris", Role.ISO)
    target = make_staff(platform, "tom")
    everyday = _token(office, "iris", ["read", "write"])
    admin = _token(office, "iris", ["admin"])
    _lock(office, "tom")
    clock.advance(timedelta(minutes=6))

    refused = _admin_calls(office, str(target.id), _bearer(everyday))
    assert refused == {"unlock": 403, "reset": 403, "create": 403}
    answer = office.post(f"/api/staff/{target.id}/unlock", headers=_bearer(everyday)).json()
    assert answer["type"].endswith("/token-scope-required")
    assert "admin" in answer["detail"]
    denials = [d for d in _denials(platform) if d.get("via") == "api-token"]
    assert len(denials) == 4
    assert {d["code"] for d in denials} == {"token-scope-required"}

    # the admin token ended with the re-authentication window: no longer valid at all
    assert _admin_calls(office, str(target.id), _bearer(admin)) == {
        "unlock": 401,
        "reset": 401,
        "create": 401,
    }
    listed = office.get("/api/staff", headers=_bearer(everyday)).json()
    assert "newhire" not in {row["username"] for row in listed}
    assert next(row for row in listed if row["username"] == "tom")["locked"] is True


@pytest.mark.policy("IS-USE-LOCK", "IS-SENS-NEED")
def test_a_fresh_admin_token_can_unlock_reset_and_create_staff(platform, office, clock):
    """Issued with the password moments ago, an admin token does the administrative work."""
    make_staff(platform, "iris", Role.ISO)
    target = make_staff(platform, "tom")
    _lock(office, "tom")
    admin = _token(office, "iris", ["admin", "read"])
    clock.advance(timedelta(minutes=4))
    headers = _bearer(admin)
    assert office.post(f"/api/staff/{target.id}/unlock", headers=headers).status_code == 200
    reset = office.post(f"/api/staff/{target.id}/reset-password", headers=headers)
    assert reset.status_code == 200
    assert reset.json()["one_time_password"]
    assert office.post("/api/staff", json=NEW_HIRE, headers=headers).status_code == 201


def test_an_admin_token_lasts_the_policy_minutes(platform, office):
    """Its expiry is ``api_token_admin_minutes`` after issue; asking for days is refused."""
    make_staff(platform, "iris", Role.ISO)
    admin = _token(office, "iris", ["admin"])
    lasted = _parse(admin["expires_at"]) - _parse(admin["created_at"])
    assert lasted == timedelta(minutes=platform.policy.sessions.api_token_admin_minutes)
    assert admin["scopes"] == ["admin"]
    refused = office.post(
        "/api/auth/tokens",
        json={
            "username": "iris",
            "password": PASSWORD,
            "name": "x",
            "scopes": ["admin"],
            "days": 30,
        },
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "days"


@pytest.mark.policy("IS-USE-CRED")
def test_scopes_are_enforced(platform, office):
    """Read reads only; write writes only; admin does administrative work only."""
    make_staff(platform, "iris", Role.ISO)
    reader = _bearer(_token(office, "iris", ["read"]))
    writer = _bearer(_token(office, "iris", ["write"]))
    spare = _token(office, "iris", ["read"])
    admin = _bearer(_token(office, "iris", ["admin"]))
    revoke = f"/api/auth/tokens/{spare['id']}"
    assert office.get("/api/staff", headers=reader).status_code == 200
    assert office.delete(revoke, headers=reader).status_code == 403
    assert office.get("/api/staff", headers=writer).status_code == 403
    assert office.delete(revoke, headers=writer).status_code == 204
    assert office.get("/api/staff", headers=admin).status_code == 403
    assert office.post("/api/staff", json=NEW_HIRE, headers=reader).status_code == 403
    assert office.post("/api/staff", json=NEW_HIRE, headers=writer).status_code == 403


@pytest.mark.policy("IS-USE-CRED")
def test_scopes_are_limited_to_what_the_role_can_do(platform, office):
    """A support agent has no administrative permission, so no admin token; none without
    a scope at all."""
    make_staff(platform, "sam", Role.SUPPORT_AGENT)
    for scopes, field in ((["admin"], "scopes"), ([], "scopes"), (["root"], "scopes.0")):
        response = office.post(
            "/api/auth/tokens",
            json={"username": "sam", "password": PASSWORD, "name": "x", "scopes": scopes},
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    assert _token(office, "sam", ["read"])["scopes"] == ["read"]


def test_the_policy_keeps_admin_tokens_within_the_reauthentication_window():
    """``api_token_admin_minutes`` may not exceed ``reauth_for_sensitive_minutes``."""
    document = tomllib.loads(
        resources.files("klaremont.policy").joinpath(SHIPPED_NAME).read_text(encoding="utf-8")
    )
    document["sessions"]["api_token_admin_minutes"] = 10
    with pytest.raises(PolicyFileError) as caught:
        validate_policy(document)
    assert [p.field for p in caught.value.problems] == ["sessions.api_token_admin_minutes"]


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.policy("IS-RA-2FA", "IS-USE-CRED")
def test_approving_remote_access_is_administrative(platform, office, clock):
    """A line manager's approval needs a fresh login too: a read-and-write token is
    refused (403, audited), a fresh admin token may approve."""
    boss = make_staff(platform, "bea", Role.ISO)
    worker = make_staff(platform, "wil", manager=boss.id)
    headers = signed_in(office, worker)
    grant = office.post(
        "/api/auth/remote-grants", json={"reason": "on call this week", "days": 3}, headers=headers
    ).json()
    office.cookies.clear()
    approve = f"/api/auth/remote-grants/{grant['id']}/approve"
    everyday = _bearer(_token(office, "bea", ["read", "write"]))
    refused = office.post(approve, headers=everyday)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/token-scope-required")
    admin = _bearer(_token(office, "bea", ["admin"]))
    approved = office.post(approve, headers=admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["manager_approved_by"] == str(boss.id)
