"""Marketing consent in the staff console: objection and restriction in words, history per
channel for a legal obligation, audience counts for marketing; every read audited."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from consent_support import make_staff, set_state, staff_headers
from fastapi.testclient import TestClient
from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType, AuditAction
from klaremont.audit.models import AuditEvent
from klaremont.customers import service
from klaremont.customers.actions import CustomerAction
from klaremont.customers.models import CollectionChannel
from klaremont.customers.schemas import CustomerCreate
from klaremont.customers.web.words import day
from klaremont.policy.purposes import MarketingChannel
from klaremont.staff.permissions import Role
from klaremont.web.app import create_app

HTML = {"Accept": "text/html"}
PLATFORM_ACTOR = Actor(ActorType.SYSTEM, "klaremont")


@pytest.fixture
def office(platform):
    """A client inside the office network."""
    with TestClient(
        create_app(platform), base_url="https://testserver", client=("127.0.0.1", 5000)
    ) as client:
        yield client


def _customer(platform, email: str, *, everything: bool = True) -> tuple[str, object]:
    """A customer who agreed to every channel (or to e-mail only); (reference, subject id)."""
    choices = (
        dict.fromkeys(MarketingChannel, True) if everything else {MarketingChannel.EMAIL: True}
    )
    body = CustomerCreate(
        name="Grace Hopper",
        email=email,
        date_of_birth=date(1980, 1, 2),
        channel=CollectionChannel.ACCOUNT_CREATION,
        marketing=choices,
    )
    with platform.unit_of_work(actor=PLATFORM_ACTOR) as uow:
        created = service.create_customer(uow, body)
        return created.reference, created.subject_id


def _events(platform, action) -> list[AuditEvent]:
    with platform.unit_of_work(actor=PLATFORM_ACTOR) as uow:
        query = select(AuditEvent).where(AuditEvent.action == action.value)
        return list(uow.session.scalars(query.order_by(AuditEvent.seq)))


def _person(office, reference: str, purpose: str):
    return office.get(
        "/staff/consent/person", params={"reference": reference, "purpose": purpose}, headers=HTML
    )


@pytest.mark.policy("PP-R-OBJECT", "PP-OPTOUT", "DP-PURPOSE")
def test_an_objection_reads_as_an_objection_with_history_per_channel(platform, office, clock):
    """Four channels agreed, then an objection: the DPO reads 'Objected to all marketing on
    <date>' and no channel marked as sendable; the history lists each channel; audited."""
    reference, subject_id = _customer(platform, "grace@example.com")
    set_state(platform, subject_id, marketing_objection_at=clock.now())
    staff_headers(office, make_staff(platform, "dora", Role.DPO))
    page = _person(office, reference, "legal_obligation")
    assert page.status_code == 200, page.text
    assert f"Objected to all marketing on {day(clock.now())}" in page.text
    assert "<td>Yes</td>" not in page.text
    assert page.text.count("No: objected") == len(MarketingChannel)
    assert page.text.count("Agreed (not in force)") == len(MarketingChannel)
    for words in ("E-mail", "Post", "Phone", "Text message"):
        assert f"<h3>{words}</h3>" in page.text
    assert page.text.count(": agreed, ") == len(MarketingChannel)
    nav = re.split(r"<nav\b[^>]*>", page.text, maxsplit=1)[1].split("</nav>")[0]
    assert nav.count('href="/staff/consent"') == 1  # one link, though two entries declare it
    read = _events(platform, CustomerAction.PERSONAL_DATA_READ)[-1]
    assert read.purpose == "legal_obligation"
    assert json.loads(read.details)["what"] == "consent"


@pytest.mark.policy("PP-R-RESTRICT", "PP-OPTOUT")
def test_a_restriction_reads_as_a_restriction(platform, office, clock):
    """A restricted person: said in words, no channel sendable, the history still there."""
    reference, subject_id = _customer(platform, "ada@example.com", everything=False)
    set_state(platform, subject_id, restricted_at=clock.now())
    staff_headers(office, make_staff(platform, "dora", Role.DPO))
    page = _person(office, reference, "legal_obligation")
    assert page.status_code == 200
    assert "Processing restricted: only storage allowed, so no marketing" in page.text
    assert "<td>Yes</td>" not in page.text
    assert "No: restricted" in page.text


@pytest.mark.policy("PP-OPTOUT", "DP-PURPOSE")
def test_marketing_sees_audience_counts_and_no_objector(platform, office, clock):
    """The landing page counts who each channel may reach (audited, counts only); marketing
    asking for an objector's choices is refused in words and the refusal audited."""
    _customer(platform, "grace@example.com")
    objector, subject_id = _customer(platform, "ada@example.com", everything=False)
    set_state(platform, subject_id, marketing_objection_at=clock.now())
    staff_headers(office, make_staff(platform, "mark", Role.MARKETING))
    landing = office.get("/staff/consent", headers=HTML)
    assert landing.status_code == 200
    assert "E-mail: 1 person" in landing.text
    assert "Post: 1 person" in landing.text
    counted = {e.resource for e in _events(platform, CustomerAction.PERSONAL_DATA_READ)}
    assert {f"audience:{c.value}" for c in MarketingChannel} <= counted
    refused = _person(office, objector, "marketing")
    assert refused.status_code == 403
    assert "Objected to marketing" in refused.text
    assert _events(platform, AuditAction.PURPOSE_REFUSED)[-1].purpose == "marketing"


@pytest.mark.policy("DP-PURPOSE", "IS-SENS-NEED")
def test_support_sees_choices_without_history_and_nothing_without_a_purpose(platform, office):
    """Support (for a query) sees the current choices but no history and no audience; no
    purpose or no reference shows nothing; an unknown reference says so."""
    reference, _ = _customer(platform, "grace@example.com")
    staff_headers(office, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    landing = office.get("/staff/consent", headers=HTML)
    assert "Who marketing may reach now" not in landing.text
    page = _person(office, reference, "support")
    assert page.status_code == 200
    assert "<td>Yes</td>" in page.text
    assert "shown only for a legal obligation" in page.text
    missing = _person(office, reference, "")
    assert missing.status_code == 422
    assert "Why you need it" in missing.text
    assert "Agreed" not in missing.text
    assert _person(office, "", "support").status_code == 422
    unknown = _person(office, "C9999999", "support")
    assert unknown.status_code == 404
    assert "No customer has that reference." in unknown.text


@pytest.mark.policy("IS-SENS-NEED")
def test_a_role_without_consent_permission_is_refused(platform, office):
    """An engineer gets the HTML 403 page, recorded as a refusal; no consent link shown."""
    staff_headers(office, make_staff(platform, "eng", Role.ENGINEER))
    refused = office.get("/staff/consent", headers=HTML)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert 'href="/staff/consent"' not in refused.text
    assert _events(platform, AuditAction.PERMISSION_DENIED)
