"""The audit API: reading is permissioned and itself audited; verify reports the chain state."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType, AuditAction
from klaremont.audit.models import AuditEvent
from klaremont.staff import service_accounts
from klaremont.staff.permissions import Role
from klaremont.web.app import create_app

PASSWORD = "violet-harbour-quietly-9-ferns"


def _signed_in(platform, username: str, role: Role) -> tuple[TestClient, dict[str, str]]:
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "test")) as uow:
        service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username=username,
                full_name=f"{username.title()} Tester",
                work_email=f"{username}@klaremont.example",
                job_role=role,
                line_manager_id=None,
                password=PASSWORD,
                vetted_on=date(2025, 1, 6),
            ),
            created_by="test",
        )
    office = ("127.0.0.1", 50000)  # inside the office network: no remote-access rules
    client = TestClient(create_app(platform), base_url="https://testserver", client=office)
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client, {"X-CSRF-Token": response.json()["csrf_token"]}


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_reading_the_audit_log_is_itself_audited(platform) -> None:
    """An ISO reading events gets them, and the read appears as an audit.read event."""
    client, _ = _signed_in(platform, "ivy", Role.ISO)
    with client:
        response = client.get("/api/audit/events", params={"limit": 5})
    assert response.status_code == 200
    events = response.json()["events"]
    assert events
    assert {"seq", "occurred_at", "actor_type", "action", "outcome", "origin"} <= set(events[0])
    with platform.unit_of_work() as uow:
        reads = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.AUDIT_READ.value)
        ).all()
    assert len(reads) == 1
    assert reads[0].actor_type == "staff"
    assert reads[0].origin == "127.0.0.1"


@pytest.mark.policy("IS-USE-SCAN", "IS-SENS-NEED")
def test_support_agent_may_not_read_the_audit_log(platform) -> None:
    """A role without audit:read gets 403 and the attempt is audited as a denial."""
    client, _ = _signed_in(platform, "sid", Role.SUPPORT_AGENT)
    with client:
        response = client.get("/api/audit/events")
    assert response.status_code == 403
    with platform.unit_of_work() as uow:
        denied = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.PERMISSION_DENIED.value)
        ).all()
    assert len(denied) == 1


@pytest.mark.policy("IS-USE-MONITOR")
def test_verify_api_reports_a_sound_chain(platform) -> None:
    """POST /api/audit/verify checks the chain, reports it sound, and records the check."""
    client, csrf = _signed_in(platform, "ivo", Role.ISO)
    with client:
        response = client.post("/api/audit/verify", headers=csrf)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    assert body["first_broken"] is None
    assert body["events"] >= 2  # account creation and the login at least
    with platform.unit_of_work() as uow:
        checks = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.AUDIT_VERIFY.value)
        ).all()
    assert len(checks) == 1
