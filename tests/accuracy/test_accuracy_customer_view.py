"""The accuracy section of the single customer view (DP-ACCURATE): when each open account's
details were last confirmed accurate, when they fall due for review, overdue in words; under
the view's purpose and need-to-know rules, the read recorded with the reader's purpose."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from accuracy_support import TEST_ACTOR, audit_details, make_staff, seed_customer, staff_client
from sqlalchemy import select, update

from klaremont.accuracy import service
from klaremont.accuracy.actions import AccuracyAction
from klaremont.accuracy.models import ReviewChannel
from klaremont.accuracy.view import contribute
from klaremont.audit.events import Actor, ActorType
from klaremont.audit.models import AuditEvent
from klaremont.clock import uk_date
from klaremont.customers.access import Access
from klaremont.customers.models import Customer
from klaremont.customers.view import CustomerView, ViewRequest
from klaremont.db.subjects import Subject
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import Purpose
from klaremont.staff.permissions import Role

DAY = timedelta(days=1)
STAFF = Actor(ActorType.STAFF, "00000000-0000-4000-8000-000000000001", "tester")
_TAGS = re.compile(r"<[^>]+>")


def _section(page: str) -> str:
    """The accuracy section's text ('' when the page has none)."""
    text = " ".join(html.unescape(_TAGS.sub(" ", page.replace("<h2>", "<h2>\x00"))).split())
    return next((p for p in text.split("\x00") if p.strip().startswith("Accuracy of")), "")


def _view(client, person, purpose: str = "support"):
    return client.get(f"/staff/customers/{person.reference}", params={"purpose": purpose})


def _dmy(value) -> str:
    return value.strftime("%d/%m/%Y")


def _reads(platform) -> list[dict]:
    return audit_details(platform, AccuracyAction.ACCURACY_READ)


@pytest.mark.policy("DP-ACCURATE", "PP-COMBINE")
def test_the_view_says_when_details_were_confirmed_and_how_overdue_the_review_is(
    platform, clock, agent, bob
):
    """bob joined three years ago and never confirmed: due two years after joining, so the
    view says overdue by the days since, and the read is recorded with the agent's purpose."""
    opened = clock.now() - 3 * 365 * DAY
    due = uk_date(opened) + platform.policy.accuracy.review_after_days * DAY
    late = (uk_date(clock.now()) - due).days
    assert late > 0
    page = _view(agent, bob)
    assert page.status_code == 200, page.text
    section = _section(page.text)
    assert bob.reference in section
    assert (
        f"{_dmy(uk_date(opened))} (when the account was opened; never confirmed since)" in section
    )
    assert _dmy(due) in section
    assert f"Overdue by {late} days" in section
    assert '<strong class="late">Overdue by' in page.text  # said in bold words, not colour alone
    assert _reads(platform)[-1] == {"view": True, "accounts": 1, "overdue": 1}
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        event = uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == AccuracyAction.ACCURACY_READ.value)
            .order_by(AuditEvent.seq.desc())
        ).first()
    assert event is not None
    assert (event.purpose, event.resource) == ("support", f"subject:{bob.subject_id}")
    assert "Canarybob" not in section  # the section names the account, not the person


@pytest.mark.policy("DP-ACCURATE")
def test_due_soon_then_a_confirmation_or_a_correction_resets_the_clock(platform, clock, agent):
    """Ten days before it falls due the view says so; a confirmation by phone starts the
    period again; a correction in the console counts as a review too."""
    period = platform.policy.accuracy.review_after_days
    carol = seed_customer(platform, "carol", age=DAY * (period - 10))
    assert "Due soon: in 10 days" in _section(_view(agent, carol).text)
    with platform.unit_of_work(actor=STAFF) as uow:
        service.confirm_accurate(uow, carol.reference, channel=ReviewChannel.PHONE)
    section = _section(_view(agent, carol).text)
    today = uk_date(clock.now())
    assert f"{_dmy(today)} (confirmed)" in section
    assert f"Up to date: due in {period} days" in section
    assert _dmy(today + period * DAY) in section
    corrected = agent.post(
        "/staff/customers/correct",
        data={
            "reference": carol.reference,
            "purpose": "support",
            "field": "name",
            "value": "Carol Ann",
        },
        follow_redirects=False,
    )
    assert corrected.status_code == 303, corrected.text
    assert corrected.headers["location"].startswith(f"/staff/customers/{carol.reference}?")
    section = _section(_view(agent, carol).text)
    assert f"{_dmy(uk_date(clock.now()))} (corrected)" in section
    assert f"Up to date: due in {period} days" in section


@pytest.mark.policy("DP-ACCURATE", "PP-COMBINE")
def test_the_api_view_carries_the_same_section(platform, agent, bob):
    """``GET /api/customers/{ref}/view`` answers with the same clocks the page shows."""
    answer = agent.get(f"/api/customers/{bob.reference}/view", params={"purpose": "support"})
    assert answer.status_code == 200, answer.text
    [review] = answer.json()["accuracy"]
    assert review["reference"] == bob.reference
    assert review["basis"] == "created"
    assert review["state"] == "overdue"
    assert review["days_left"] < 0


@pytest.mark.policy("DP-ACCURATE", "IS-SENS-NEED", "PP-R-RESTRICT")
def test_the_section_follows_the_views_purpose_and_need_to_know(platform, agent, bob):
    """Without identity details in the view there is no section and nothing is recorded; a
    restricted person's view refused for support reads no review either."""
    view = CustomerView(
        subject_id=bob.subject_id, purpose=Purpose.SUPPORT, shown=[], restricted=False, accounts=[]
    )
    shown = frozenset({DataCategory.ORDERS, DataCategory.CONTACT})
    request = ViewRequest(
        bob.subject_id, Access(Purpose.SUPPORT), shown, f"subject:{bob.subject_id}"
    )
    with platform.unit_of_work(actor=STAFF) as uow:
        contribute(uow, request, view)
    assert view.accuracy is None
    assert _reads(platform) == []
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        uow.session.execute(
            update(Subject)
            .where(Subject.id == bob.subject_id)
            .values(restricted_at=uow.clock.now())
        )
    refused = _view(agent, bob)
    assert refused.status_code == 403
    assert _section(refused.text) == ""
    assert _reads(platform) == []


@pytest.mark.policy("DP-ACCURATE")
def test_closed_accounts_are_not_reviewed(platform, clock, bob):
    """The DPO's legal-obligation view of a person whose only account is closed says so."""
    make_staff(platform, "dpo", Role.DPO)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        uow.session.execute(
            update(Customer).where(Customer.id == bob.customer_id).values(closed_at=clock.now())
        )
    with staff_client(platform, "dpo") as dpo:
        page = _view(dpo, bob, "legal_obligation")
    assert page.status_code == 200, page.text
    assert "No open account: closed accounts are not reviewed." in _section(page.text)
    assert _reads(platform)[-1] == {"view": True, "accounts": 0, "overdue": 0}
