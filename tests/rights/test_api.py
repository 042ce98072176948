"""The staff and DPO API for requests: permissions on every route, the whole flow, refusals
kept on record (DP-DPO, DP-PROMPT, PP-R-ACCESS, PP-R-ERASE)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from rights_support import TEST_ACTOR, latest_code, make_staff, staff_client
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.customers.permissions import CustomerPermission
from klaremont.rights import intake
from klaremont.rights.access import HTML_CSP
from klaremont.rights.models import VerificationChallenge
from klaremont.rights.permissions import RightsPermission
from klaremont.rights.states import RequestKind
from klaremont.rights.web import api as rights_api
from klaremont.staff.permissions import Role
from klaremont.staff.web.guard import access_rule_of
from klaremont.web.app import create_app

BASE = "/api/rights"


@pytest.fixture
def dpo(platform):
    """A signed-in Data Protection Officer."""
    make_staff(platform, "dpo", Role.DPO)
    with staff_client(platform, "dpo") as client:
        yield client


def _routes(platform) -> list[APIRoute]:
    del platform
    return [r for r in rights_api.router.routes if isinstance(r, APIRoute)]


def _call(client, route: APIRoute):
    path = route.path.replace("{request_id}", str(uuid.uuid4()))
    method = min(route.methods)
    return client.request(method, path, json={} if method == "POST" else None)


@pytest.mark.policy("DP-DPO")
def test_every_route_names_a_dsr_permission(platform):
    """Each rights route needs a dsr permission: logging a request dsr:log, every other
    POST (a decision) dsr:manage; erasure and copies need more."""
    rules = {(min(r.methods), r.path): access_rule_of(r) for r in _routes(platform)}
    assert len(rules) >= 14
    assert rules["POST", f"{BASE}/requests"].permissions == {RightsPermission.DSR_LOG}
    for (method, path), rule in rules.items():
        assert rule is not None, path
        assert not rule.public, path
        assert rule.permissions & set(RightsPermission), path
        if method == "POST" and path != f"{BASE}/requests":
            assert RightsPermission.DSR_MANAGE in rule.permissions, path
    assert (
        CustomerPermission.CUSTOMERS_ERASE
        in rules["POST", f"{BASE}/requests/{{request_id}}/erase"].permissions
    )
    assert (
        CustomerPermission.CUSTOMERS_EXPORT
        in rules["GET", f"{BASE}/requests/{{request_id}}/export"].permissions
    )


@pytest.mark.policy("DP-DPO")
def test_roles_without_dsr_permissions_are_refused_everywhere(platform):
    """Marketing staff get 403 everywhere; support reads and logs but cannot act; no sign-in
    gets 401."""
    make_staff(platform, "marketer", Role.MARKETING)
    make_staff(platform, "agent", Role.SUPPORT_AGENT)
    routes = _routes(platform)
    with staff_client(platform, "marketer") as client:
        for route in routes:
            assert _call(client, route).status_code == 403, route.path
    with staff_client(platform, "agent") as client:
        assert client.get(f"{BASE}/requests").status_code == 200
        assert client.get(f"{BASE}/due").status_code == 200
        for route in routes:
            if route.path == f"{BASE}/requests" and "POST" in route.methods:
                assert _call(client, route).status_code == 422, route.path  # may log
            elif "POST" in route.methods or route.path.endswith("/export"):
                assert _call(client, route).status_code == 403, route.path
    from fastapi.testclient import TestClient  # noqa: PLC0415

    with TestClient(create_app(platform), base_url="https://testserver") as anonymous:
        for route in routes:
            assert _call(anonymous, route).status_code == 401, route.path


@pytest.mark.policy("PP-R-ACCESS", "DP-DPO", "DP-PROMPT")
def test_phone_request_end_to_end(platform, dpo, alice):
    """Recorded by phone, verified by the code read back, fulfilled, exported; wrong codes count."""
    created = dpo.post(
        f"{BASE}/requests",
        json={
            "customer_reference": alice.reference,
            "kind": "access",
            "channel": "phone",
            "note": "asked for everything since 2020",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["details"] is None  # lists and answers carry no personal values
    body = created.json()
    assert body["state"] == "identity_pending"
    assert body["routed_to"] == "dpo"
    request_id = body["id"]
    wrong = dpo.post(f"{BASE}/requests/{request_id}/verify", json={"code": "00000000"})
    assert wrong.status_code == 422
    assert wrong.headers["content-type"].startswith("application/problem+json")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalars(select(VerificationChallenge.attempts)).one() == 1
    verified = dpo.post(
        f"{BASE}/requests/{request_id}/verify",
        json={"code": latest_code(platform, alice.subject_id)},
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["state"] == "verified"
    assert verified.json()["identity_method"] == "staff_code"
    done = dpo.post(f"{BASE}/requests/{request_id}/fulfil")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "fulfilled"
    copy = dpo.get(f"{BASE}/requests/{request_id}/export", params={"format": "json"})
    assert copy.status_code == 200
    assert "attachment" in copy.headers["content-disposition"]
    assert alice.email in copy.text
    page = dpo.get(f"{BASE}/requests/{request_id}/export", params={"format": "html"})
    assert page.headers["content-security-policy"] == HTML_CSP
    assert (
        dpo.get(f"{BASE}/requests/{request_id}/export", params={"format": "exe"}).status_code == 422
    )
    shown = dpo.get(f"{BASE}/requests/{request_id}").json()
    assert shown["outcome"]["rows"] > 0
    assert shown["details"] == {"note": "asked for everything since 2020"}
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        reads = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "personal.read")
        ).all()
    assert any("request details" in r for r in reads)
    listed = dpo.get(f"{BASE}/requests", params={"state": "fulfilled"}).json()
    assert [r["id"] for r in listed] == [request_id]


@pytest.mark.policy("DP-DPO", "DP-PROMPT")
def test_support_logs_a_letter_request_and_only_the_dpo_decides(platform, dpo, alice):
    """Support records a request by letter (dsr:log) and reads it back; verifying, pausing
    and fulfilling are the DPO's (dsr:manage): 403 problem+json, each refusal audited."""
    make_staff(platform, "agent", Role.SUPPORT_AGENT)
    with staff_client(platform, "agent") as agent:
        created = agent.post(
            f"{BASE}/requests",
            json={"customer_reference": alice.reference, "kind": "erasure", "channel": "letter"},
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["id"]
        assert created.json()["state"] == "identity_pending"
        assert agent.get(f"{BASE}/requests/{request_id}").status_code == 200
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            before = len(
                uow.session.scalars(
                    select(AuditEvent.seq).where(AuditEvent.action == "authz.denied")
                ).all()
            )
        code = latest_code(platform, alice.subject_id)
        for path, body in (
            ("verify", {"code": code}),
            ("verify-document", {"reason": "passport seen"}),
            ("pause", {"reason": "clarification"}),
            ("fulfil", {}),
        ):
            refused = agent.post(f"{BASE}/requests/{request_id}/{path}", json=body)
            assert refused.status_code == 403, path
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["type"].endswith("/permission-denied")
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            denied = uow.session.scalars(
                select(AuditEvent.seq).where(AuditEvent.action == "authz.denied")
            ).all()
        assert len(denied) == before + 4
    verified = dpo.post(f"{BASE}/requests/{request_id}/verify", json={"code": code})
    assert verified.status_code == 200, verified.text
    assert verified.json()["state"] == "verified"


@pytest.mark.policy("PP-R-ACCESS", "DP-PROMPT")
def test_duplicate_is_refused_and_the_refusal_kept(platform, dpo, alice):
    """A second open request of the same kind is a 409 naming the first, audited."""
    payload = {"customer_reference": alice.reference, "kind": "erasure", "channel": "letter"}
    first = dpo.post(f"{BASE}/requests", json=payload)
    assert first.status_code == 201
    again = dpo.post(f"{BASE}/requests", json=payload)
    assert again.status_code == 409
    assert first.json()["reference"] in again.json()["detail"]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        refused = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dsr.refuse")
        ).one()
        assert refused.outcome == "denied"
        assert json.loads(refused.details)["event"] == "duplicate-refused"


@pytest.mark.policy("PP-R-ERASE", "DP-DPO")
def test_erase_route_refuses_while_access_is_open_then_erases(platform, dpo, alice):
    """Erase answers 409 (audited) while access is open, then erases and lists what is kept."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        access = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
        erase = intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE)
    blocked = dpo.post(f"{BASE}/requests/{erase.id}/erase")
    assert blocked.status_code == 409
    assert access.reference in blocked.json()["detail"]
    assert dpo.post(f"{BASE}/requests/{erase.id}/fulfil").status_code == 422
    assert dpo.post(f"{BASE}/requests/{access.id}/fulfil").status_code == 200
    done = dpo.post(f"{BASE}/requests/{erase.id}/erase")
    assert done.status_code == 200, done.text
    reply = done.json()
    assert reply["retained"] == {"invoices": 2, "orders": 2, "order_lines": 4}
    assert reply["deleted"]["customers"] == 1
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        outcomes = uow.session.scalars(
            select(AuditEvent.outcome).where(AuditEvent.resource == f"dsr:{erase.id}")
        ).all()
    assert "denied" in outcomes


@pytest.mark.policy("DP-PROMPT", "DP-DPO")
def test_refuse_extend_and_the_due_lists(platform, clock, dpo, alice, bob):
    """Extensions need a reason and come in time; the DPO's lists show overdue and due soon."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        late = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
        soon = intake.submit_signed_in(uow, bob.identity, RequestKind.PORTABILITY)
        spare = intake.submit_signed_in(uow, bob.identity, RequestKind.RESTRICTION)
    extended = dpo.post(
        f"{BASE}/requests/{soon.id}/extend", json={"months": 2, "reason": "many requests at once"}
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["state"] == "extended"
    assert extended.json()["due_on"] == "2026-06-02"  # received 2 March: one month plus two
    assert (
        dpo.post(
            f"{BASE}/requests/{spare.id}/extend", json={"months": 3, "reason": "too long"}
        ).status_code
        == 422
    )
    clock.advance(timedelta(days=32))
    with staff_client(platform, "dpo") as later:  # a month on: a new sign-in
        late_extension = later.post(
            f"{BASE}/requests/{spare.id}/extend", json={"months": 1, "reason": "too late now"}
        )
        assert late_extension.status_code == 409
        lists = later.get(f"{BASE}/due", params={"within_days": 7}).json()
        assert {i["reference"] for i in lists["overdue"]} == {late.reference, spare.reference}
        assert all(i["days_left"] == -1 for i in lists["overdue"])
        assert lists["due_soon"] == []
        assert later.post(f"{BASE}/due/alert").status_code == 200
        refused = later.post(
            f"{BASE}/requests/{spare.id}/refuse", json={"reason": "withdrawn by phone"}
        )
        assert refused.json()["state"] == "refused"
        assert refused.json()["refusal_reason"] == "withdrawn by phone"
        assert later.get(f"{BASE}/requests/{uuid.uuid4()}").status_code == 404
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        alerts = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.resource == "role:dpo")
        ).all()
        assert len(alerts) == 1
        assert late.reference in alerts[0].details
