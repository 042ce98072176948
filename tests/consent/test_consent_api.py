"""Staff consent API: permissions decide who reads, records and lists the marketing audience."""

from __future__ import annotations

import pytest
from consent_support import TEST_ACTOR, make_staff, make_subject, staff_headers
from fastapi.testclient import TestClient
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.customers.actions import CustomerAction
from klaremont.staff.permissions import Role
from klaremont.web.app import create_app


@pytest.fixture
def office(platform):
    """A client inside the office network."""
    with TestClient(
        create_app(platform), base_url="https://testserver", client=("127.0.0.1", 5000)
    ) as client:
        yield client


@pytest.mark.policy("IS-SENS-CONSENT", "PP-OPTOUT")
def test_dpo_records_a_phone_opt_out_and_reads_history(platform, office):
    """The DPO records choices given by phone and reads the history; every change is kept."""
    subject_id = make_subject(platform)
    headers = staff_headers(office, make_staff(platform, "dora", Role.DPO))
    given = office.post(
        f"/api/consent/subjects/{subject_id}/marketing",
        json={"choices": {"email": True, "post": True}, "method": "phone"},
        headers=headers,
    )
    assert given.status_code == 200, given.text
    assert given.json()["marketing"] == {"email": True, "post": True, "phone": False, "sms": False}
    withdrawn = office.post(
        f"/api/consent/subjects/{subject_id}/marketing/withdraw",
        json={"method": "paper"},
        headers=headers,
    )
    assert not any(withdrawn.json()["marketing"].values())
    history = office.get(
        f"/api/consent/subjects/{subject_id}?purpose=legal_obligation", headers=headers
    ).json()["history"]
    assert [(h["item"], h["granted"], h["method"]) for h in history] == [
        ("post", False, "paper"),
        ("email", False, "paper"),
        ("post", True, "phone"),
        ("email", True, "phone"),
    ]
    assert {h["source"] for h in history} == {"staff_console"}
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        reads = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == CustomerAction.PERSONAL_DATA_READ)
        ).all()
    assert any(e.resource == f"subject:{subject_id}" for e in reads)


@pytest.mark.policy("PP-OPTOUT")
def test_audience_needs_marketing_send_and_honours_opt_out(platform, office):
    """Only marketing staff list the audience; the DPO may not; an opted-out person is not in it."""
    keen = make_subject(platform)
    leaver = make_subject(platform)
    dpo = staff_headers(office, make_staff(platform, "dora", Role.DPO))
    for subject_id in (keen, leaver):
        office.post(
            f"/api/consent/subjects/{subject_id}/marketing",
            json={"choices": {"sms": True}, "method": "web_form"},
            headers=dpo,
        )
    office.post(
        f"/api/consent/subjects/{leaver}/marketing/withdraw", json={"method": "phone"}, headers=dpo
    )
    assert office.get("/api/consent/audience/sms").status_code == 403
    office.cookies.clear()
    marketer = staff_headers(office, make_staff(platform, "mark", Role.MARKETING))
    audience = office.get("/api/consent/audience/sms")
    assert audience.status_code == 200
    assert audience.json() == {"channel": "sms", "count": 1, "subject_ids": [str(keen)]}
    refused = office.post(
        f"/api/consent/subjects/{keen}/marketing",
        json={"choices": {"email": True}, "method": "phone"},
        headers=marketer,
    )
    assert refused.status_code == 403


@pytest.mark.policy("IS-SENS-CONSENT")
def test_notice_publication_through_the_api(platform, office):
    """Publishing needs consent:manage; versions count up and an unchanged text conflicts."""
    dpo = staff_headers(office, make_staff(platform, "dora", Role.DPO))
    first = office.post("/api/consent/notices", json={"text": "Notice one."}, headers=dpo)
    assert first.status_code == 201
    assert first.json()["version"] == 1
    assert (
        office.post("/api/consent/notices", json={"text": "Notice one."}, headers=dpo).status_code
        == 409
    )
    assert [n["version"] for n in office.get("/api/consent/notices").json()] == [1]
    office.cookies.clear()
    support = staff_headers(office, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    assert (
        office.post("/api/consent/notices", json={"text": "Mine."}, headers=support).status_code
        == 403
    )
    assert office.get("/api/consent/notices").status_code == 200
