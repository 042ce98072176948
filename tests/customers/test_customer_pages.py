"""Customer look-up in the staff console: purpose first, the API's services, audited reads."""

from __future__ import annotations

import json

import pytest
from store_support import (
    add_order,
    audit_events,
    make_staff,
    set_state,
    sign_in,
    subject_of,
)

from klaremont.audit.events import Actor, ActorType, AuditAction
from klaremont.cards.provider import LocalProvider, use_provider
from klaremont.cards.schemas import CardIn
from klaremont.cards.service import add_card
from klaremont.customers.access import Access
from klaremont.customers.actions import CustomerAction
from klaremont.customers.service import find_customer
from klaremont.customers.web.words import day
from klaremont.policy.purposes import Purpose
from klaremont.staff.permissions import Role

AGENT = Actor(ActorType.STAFF, "00000000-0000-4000-8000-000000000003", "agent")
HTML = {"Accept": "text/html"}
PAN = "5555 5555 5555 4444"


def _reference(platform, customer_id) -> str:
    with platform.unit_of_work(actor=AGENT) as uow:
        return find_customer(uow, customer_id).reference


def _card(platform, customer_id) -> None:
    use_provider(platform, LocalProvider())
    with platform.unit_of_work(actor=AGENT) as uow:
        access = Access.of(Purpose.ORDER_PROCESSING, {Role.SUPPORT_AGENT})
        add_card(
            uow,
            customer_id,
            CardIn.model_validate({"pan": PAN, "exp_month": 9, "exp_year": 2029}),
            access,
        )


def _search(web, csrf, **fields: str):
    return web.post(
        "/staff/customers/search",
        data={"csrf_token": csrf["X-CSRF-Token"], **fields},
        headers=HTML,
        follow_redirects=False,
    )


def _details(event) -> dict[str, object]:
    return json.loads(event.details)


@pytest.mark.policy("DP-PURPOSE", "IS-SENS-MASK", "IS-SENS-NEED")
def test_support_finds_by_email_and_sees_the_view_with_cards_masked(
    platform, web, staff, customer_id
):
    """The search runs through the blind index for the chosen purpose; the view shows the
    details, addresses and the card as its last four only; both reads are audited."""
    _card(platform, customer_id)
    add_order(platform, customer_id)
    reference = _reference(platform, customer_id)
    csrf = sign_in(web, staff[Role.SUPPORT_AGENT])
    form = web.get("/staff/customers", headers=HTML)
    assert form.status_code == 200
    assert "Dealing with an order" in form.text
    assert "Marketing (special offers)" not in form.text  # not a purpose this role may use
    found = _search(web, csrf, by="email", value="ADA@example.com", purpose="order_processing")
    assert found.status_code == 200, found.text
    assert reference in found.text
    assert "Ada Lovelace" in found.text
    searches = list(audit_events(platform, CustomerAction.PERSONAL_DATA_READ))
    assert searches[-1].purpose == "order_processing"
    assert _details(searches[-1])["by"] == "email"
    page = web.get(
        f"/staff/customers/{reference}", params={"purpose": "order_processing"}, headers=HTML
    )
    assert page.status_code == 200, page.text
    assert "•••• 4444" in page.text
    assert "5555" not in page.text.replace("•••• 4444", "")
    assert "12 High Street" in page.text
    assert "KL00000100" in page.text
    assert "Queries and complaints" not in page.text  # not for order processing
    read = audit_events(platform, CustomerAction.PERSONAL_DATA_READ)[-1]
    assert read.purpose == "order_processing"
    assert read.actor_id == str(staff[Role.SUPPORT_AGENT].id)
    assert _details(read)["view"] is True


@pytest.mark.policy("DP-PURPOSE")
def test_nothing_is_shown_without_a_purpose(platform, web, staff, customer_id):
    """A search without a reason, or the view without one, shows only the question."""
    reference = _reference(platform, customer_id)
    csrf = sign_in(web, staff[Role.SUPPORT_AGENT])
    before = len(audit_events(platform, CustomerAction.PERSONAL_DATA_READ))
    refused = _search(web, csrf, by="email", value="ada@example.com", purpose="")
    assert refused.status_code == 422
    assert "Why you need it" in refused.text
    assert reference not in refused.text
    asked = web.get(f"/staff/customers/{reference}", headers=HTML)
    assert asked.status_code == 200
    assert "Nothing about the customer is shown" in asked.text
    assert "Ada" not in asked.text
    assert "ada@example.com" not in asked.text
    unknown = web.get(
        f"/staff/customers/{reference}", params={"purpose": "curiosity"}, headers=HTML
    )
    assert unknown.status_code == 422
    assert "Ada" not in unknown.text
    assert len(audit_events(platform, CustomerAction.PERSONAL_DATA_READ)) == before


@pytest.mark.policy("IS-SENS-NEED")
def test_a_role_without_permission_gets_the_refusal_page_audited(platform, web):
    """An engineer may not read customers: the HTML 403 page, recorded as authz.denied."""
    engineer = make_staff(platform, "engineer-one", Role.ENGINEER)
    sign_in(web, engineer)
    refused = web.get("/staff/customers", headers=HTML)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    denied = audit_events(platform, AuditAction.PERMISSION_DENIED)
    assert denied[-1].actor_id == str(engineer.id)


@pytest.mark.policy("DP-PURPOSE", "IS-SENS-NEED")
def test_a_purpose_the_role_may_not_use_is_refused_plainly(platform, web, staff, customer_id):
    """Support asking for marketing is refused by the purpose check, audited, said in words."""
    reference = _reference(platform, customer_id)
    csrf = sign_in(web, staff[Role.SUPPORT_AGENT])
    page = web.get(f"/staff/customers/{reference}", params={"purpose": "marketing"}, headers=HTML)
    assert page.status_code == 403
    assert "Your role may not look customers up for marketing." in page.text
    assert "Ada" not in page.text
    refusal = audit_events(platform, AuditAction.PURPOSE_REFUSED)[-1]
    assert refusal.purpose == "marketing"
    assert _details(refusal)["reason"] == "role-purpose"
    searched = _search(web, csrf, by="phone", value="0113 496 0000", purpose="marketing")
    assert searched.status_code == 403
    assert "Your role may not look customers up for marketing." in searched.text
    assert reference not in searched.text


@pytest.mark.policy("PP-R-RESTRICT", "PP-R-OBJECT")
def test_restriction_and_objection_are_said_in_words(platform, web, staff, clock, customer_id):
    """An objection heads the support view with its date; a restriction refuses support in
    words and heads the DPO's legal-obligation view with its date."""
    reference = _reference(platform, customer_id)
    subject_id = subject_of(platform, customer_id)
    set_state(platform, subject_id, marketing_objection_at=clock.now())
    sign_in(web, staff[Role.SUPPORT_AGENT])
    page = web.get(f"/staff/customers/{reference}", params={"purpose": "support"}, headers=HTML)
    assert f"Objected to marketing on {day(clock.now())}" in page.text
    assert "Objected to all marketing" in page.text
    set_state(platform, subject_id, restricted_at=clock.now())
    refused = web.get(f"/staff/customers/{reference}", params={"purpose": "support"}, headers=HTML)
    assert refused.status_code == 403
    assert "Processing restricted: only storage allowed." in refused.text
    assert "Ada" not in refused.text
    sign_in(web, staff[Role.DPO])
    legal = web.get(
        f"/staff/customers/{reference}", params={"purpose": "legal_obligation"}, headers=HTML
    )
    assert legal.status_code == 200
    assert f"Processing restricted since {day(clock.now())}: only storage allowed" in legal.text


@pytest.mark.policy("PP-R-RECTIFY")
def test_a_correction_lands_and_is_audited_and_bad_input_names_the_field(
    platform, web, staff, customer_id
):
    """The rectification service saves the new name (audited by field name, never value);
    a date that is no date comes back naming the field, nothing saved, nothing echoed."""
    reference = _reference(platform, customer_id)
    csrf = sign_in(web, staff[Role.SUPPORT_AGENT])
    url = "/staff/customers/correct"
    saved = web.post(
        url,
        data={
            "csrf_token": csrf["X-CSRF-Token"],
            "reference": reference,
            "purpose": "support",
            "field": "name",
            "value": "Ada King",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    page = web.get(saved.headers["location"], headers=HTML)
    assert "Ada King" in page.text
    assert "Saved: name corrected." in page.text
    update = audit_events(platform, CustomerAction.PERSONAL_DATA_UPDATE)[-1]
    assert update.purpose == "support"
    assert _details(update)["fields"] == ["name"]
    assert "Ada King" not in update.details
    bad = web.post(
        url,
        data={
            "csrf_token": csrf["X-CSRF-Token"],
            "reference": reference,
            "purpose": "support",
            "field": "date_of_birth",
            "value": "31st of Juvember",
        },
        headers=HTML,
    )
    assert bad.status_code == 422
    assert "Date of birth" in bad.text
    assert "Juvember" not in bad.text
    removed = web.post(
        url,
        data={
            "csrf_token": csrf["X-CSRF-Token"],
            "reference": reference,
            "purpose": "support",
            "field": "email",
            "value": "",
        },
        headers=HTML,
    )
    assert removed.status_code == 422
    assert "E-mail address: cannot be removed" in removed.text
    assert len(audit_events(platform, CustomerAction.PERSONAL_DATA_UPDATE)) == 1


@pytest.mark.policy("DP-PURPOSE")
def test_search_by_reference_or_phone_and_bad_searches_say_which_field(
    platform, web, staff, customer_id
):
    """A reference goes straight to the view for the purpose; a phone number finds the
    account; a bad reference or an unknown way of searching names the field."""
    reference = _reference(platform, customer_id)
    csrf = sign_in(web, staff[Role.SUPPORT_AGENT])
    straight = _search(web, csrf, by="reference", value=reference.lower(), purpose="support")
    assert straight.status_code == 303
    assert straight.headers["location"] == f"/staff/customers/{reference}?purpose=support"
    view = web.get(straight.headers["location"], headers=HTML)
    assert "10/12/1990 (age" in view.text  # a date of birth the UK way
    by_phone = _search(web, csrf, by="phone", value="07700 900123", purpose="support")
    assert reference in by_phone.text
    none = _search(web, csrf, by="phone", value="07700 900999", purpose="support")
    assert "No customer has exactly that phone number." in none.text
    bad = _search(web, csrf, by="reference", value="C-1", purpose="support")
    assert bad.status_code == 422
    assert "Looking for: a reference is letters and digits" in bad.text
    odd = _search(web, csrf, by="postcode", value="LS1 4AB", purpose="support")
    assert odd.status_code == 422
    assert "Find by: one of" in odd.text
    assert (
        "Looking for: must be filled in" in _search(web, csrf, by="email", purpose="support").text
    )


@pytest.mark.policy("PP-R-RECTIFY", "PP-R-RESTRICT")
def test_corrections_refused_plainly(platform, web, staff, clock, customer_id):
    """No purpose, an unknown detail, an unknown customer or a restricted person: said in
    words, nothing saved."""
    reference = _reference(platform, customer_id)
    csrf = sign_in(web, staff[Role.SUPPORT_AGENT])

    def correct(**fields: str):
        data = {"csrf_token": csrf["X-CSRF-Token"], "value": "Ada King", **fields}
        return web.post("/staff/customers/correct", data=data, headers=HTML)

    no_purpose = correct(reference=reference, purpose="", field="name")
    assert no_purpose.status_code == 422
    assert "Why you need it: must be filled in" in no_purpose.text
    odd_purpose = correct(reference=reference, purpose="curiosity", field="name")
    assert "Why you need it: choose why you need the record" in odd_purpose.text
    bad_reference = correct(reference="C-1", purpose="support", field="name")
    assert "Customer reference: letters and digits" in bad_reference.text
    odd_field = correct(reference=reference, purpose="support", field="gender")
    assert odd_field.status_code == 422
    assert "not a detail this page can correct" in odd_field.text
    unknown = correct(reference="C9999999", purpose="support", field="name")
    assert unknown.status_code == 404
    assert "No customer has that reference." in unknown.text
    set_state(platform, subject_of(platform, customer_id), restricted_at=clock.now())
    restricted = correct(reference=reference, purpose="support", field="name")
    assert restricted.status_code == 403
    assert "Processing restricted: only storage allowed." in restricted.text
    assert audit_events(platform, CustomerAction.PERSONAL_DATA_UPDATE) == []
