"""The customer API: create, read for a purpose, rectify, list, search, orders and invoices."""

from __future__ import annotations

import json
import uuid

import pytest
from store_support import (
    TEST_ACTOR,
    add_order,
    audit_events,
    consent_to_marketing,
    new_customer,
    set_state,
    sign_in,
    subject_of,
)

from klaremont.audit.events import AuditAction
from klaremont.consent.service import marketing_state
from klaremont.customers.actions import CustomerAction
from klaremont.staff.permissions import Role


def _get(web, path, purpose, **params):
    return web.get(path, params={"purpose": purpose, **params})


@pytest.mark.policy("PP-SRC", "PP-OPTOUT", "DP-PURPOSE")
def test_create_then_read_for_support(platform, web, staff):
    """A support agent creates an account (nothing personal echoed back), the marketing choice
    made at collection is recorded per channel, and the account is read for support; both are
    audited with field names only."""
    headers = sign_in(web, staff[Role.SUPPORT_AGENT])
    created = web.post(
        "/api/customers",
        headers=headers,
        json={
            "name": "Grace Hopper",
            "email": "Grace@Example.com",
            "date_of_birth": "1986-12-09",
            "mobile": "07700 900456",
            "channel": "account_creation",
            "password": "quartz-meadow-lantern-51",
            "marketing": {"email": True},
        },
    )
    assert created.status_code == 201, created.text
    assert "Grace" not in created.text
    body = _get(web, f"/api/customers/{created.json()['id']}", "support").json()
    assert body["name"] == "Grace Hopper"
    assert body["age"] == 39
    assert body["has_password"] is True
    assert body["channel"] == "account_creation"
    assert "password" not in json.dumps({k: v for k, v in body.items() if k != "has_password"})
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        choices = marketing_state(uow.session, uuid.UUID(created.json()["subject_id"]))
    assert {str(k): v for k, v in choices.items()} == {
        "email": True,
        "post": False,
        "phone": False,
        "sms": False,
    }
    created_event = json.loads(
        audit_events(platform, CustomerAction.PERSONAL_DATA_CREATE)[-1].details
    )
    assert created_event["fields"] == [
        "channel",
        "date_of_birth",
        "email",
        "mobile",
        "name",
        "password",
    ]
    read = audit_events(platform, CustomerAction.PERSONAL_DATA_READ)[-1]
    assert read.purpose == "support"
    assert read.actor_id == str(staff[Role.SUPPORT_AGENT].id)
    assert "Grace" not in read.details


@pytest.mark.policy("DP-PURPOSE", "IS-SENS-NEED")
def test_reads_show_only_what_the_purpose_and_role_allow(platform, web, staff, customer_id):
    """Marketing staff reading for marketing (with consent) see identity, contact and address; the
    same staff reading for support are refused with 403 purpose-refused."""
    consent_to_marketing(platform, subject_of(platform, customer_id))
    sign_in(web, staff[Role.MARKETING])
    shown = _get(web, f"/api/customers/{customer_id}", "marketing")
    assert shown.status_code == 200, shown.text
    assert shown.json()["shown"] == ["address", "contact", "identity"]
    refused = _get(web, f"/api/customers/{customer_id}", "support")
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/purpose-refused")


@pytest.mark.policy("PP-COMBINE", "DP-PURPOSE")
def test_marketing_reads_of_opted_out_objected_or_restricted_people_are_refused(
    platform, web, clock, staff
):
    """Over the API, a marketing read is refused (403, audited) for a person who never opted in,
    one who objected and one who is restricted; an order-processing read of the restricted one
    is refused too."""
    sign_in(web, staff[Role.MARKETING])
    opted_out = new_customer(platform, name="Al", email="al@example.com")
    objected = new_customer(platform, name="Bea", email="bea@example.com")
    restricted = new_customer(platform, name="Cy", email="cy@example.com")
    for who in (objected, restricted):
        consent_to_marketing(platform, subject_of(platform, who))
    set_state(platform, subject_of(platform, objected), marketing_objection_at=clock.now())
    set_state(platform, subject_of(platform, restricted), restricted_at=clock.now())
    for who, reason in (
        (opted_out, "marketing-veto"),
        (objected, "marketing-objection"),
        (restricted, "subject-restricted"),
    ):
        response = _get(web, f"/api/customers/{who}", "marketing")
        assert response.status_code == 403, response.text
        event = audit_events(platform, AuditAction.PURPOSE_REFUSED)[-1]
        assert json.loads(event.details)["reason"] == reason
        assert event.resource == f"subject:{subject_of(platform, who)}"
        assert event.purpose == "marketing"
    web.cookies.clear()
    sign_in(web, staff[Role.SUPPORT_AGENT])
    response = _get(web, f"/api/customers/{restricted}", "order_processing")
    assert response.status_code == 403
    assert "restricted" in response.json()["detail"]


@pytest.mark.policy("PP-R-RECTIFY", "DP-ACCURATE")
def test_rectification_changes_the_fields_sent_and_audits_their_names_only(
    platform, web, staff, customer_id
):
    """A PATCH corrects e-mail and name; the audit event names the fields, holds no value, and the
    blind index finds the person by the new address only."""
    headers = sign_in(web, staff[Role.SUPPORT_AGENT])
    response = web.patch(
        f"/api/customers/{customer_id}",
        params={"purpose": "support"},
        headers=headers,
        json={"email": "ada.king@example.com", "name": "Ada King", "gender": "female"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "ada.king@example.com"
    event = audit_events(platform, CustomerAction.PERSONAL_DATA_UPDATE)[-1]
    assert json.loads(event.details) == {"fields": ["email", "name"], "unchanged": ["gender"]}
    assert "ada" not in event.details.lower()
    search = "/api/customers/search"
    found = web.post(
        search,
        params={"purpose": "support"},
        headers=headers,
        json={"email": "ADA.KING@example.com"},
    )
    assert [r["id"] for r in found.json()] == [str(customer_id)]
    gone = web.post(
        search, params={"purpose": "support"}, headers=headers, json={"email": "ada@example.com"}
    )
    assert gone.json() == []
    bad = web.patch(
        f"/api/customers/{customer_id}",
        params={"purpose": "support"},
        headers=headers,
        json={"mobile": "not a number"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "mobile"
    assert "not a number" not in bad.text


@pytest.mark.policy("PP-COMBINE")
def test_list_pages_with_a_cursor_and_hides_restricted_names(platform, web, clock, staff):
    """Five accounts come back over three pages without repeats; a restricted person is listed by
    reference only."""
    ids = [new_customer(platform, name=f"P{i}", email=f"p{i}@example.com") for i in range(5)]
    set_state(platform, subject_of(platform, ids[0]), restricted_at=clock.now())
    sign_in(web, staff[Role.SUPPORT_AGENT])
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = _get(web, "/api/customers", "support", **params).json()
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(r["id"] for r in seen) == sorted(str(i) for i in ids)
    restricted = next(r for r in seen if r["id"] == str(ids[0]))
    assert restricted == restricted | {"restricted": True, "name": None}
    assert all(r["name"] for r in seen if r["id"] != str(ids[0]))


@pytest.mark.policy("IS-SENS-SAFE")
def test_search_by_phone_matches_phone_or_mobile_through_the_blind_index(web, staff, customer_id):
    """Any written form of the phone or mobile number finds the account; both at once is a 422."""
    headers = sign_in(web, staff[Role.SUPPORT_AGENT])
    for number in ("+44 7700 900123", "0113 496 0000"):
        found = web.post(
            "/api/customers/search",
            params={"purpose": "support"},
            headers=headers,
            json={"phone": number},
        )
        assert [r["id"] for r in found.json()] == [str(customer_id)]
    both = web.post(
        "/api/customers/search",
        params={"purpose": "support"},
        headers=headers,
        json={"phone": "0113 496 0000", "email": "ada@example.com"},
    )
    assert both.status_code == 422


@pytest.mark.policy("IS-SENS-NEED", "DP-PURPOSE")
def test_support_cannot_read_invoices_but_finance_can(platform, web, staff, customer_id):
    """Support agents get 403 for invoices (their role lacks invoices:read) but read orders; finance
    reads invoices for invoicing and is refused for a purpose its role lacks."""
    invoice = add_order(platform, customer_id)
    sign_in(web, staff[Role.SUPPORT_AGENT])
    orders = _get(web, f"/api/customers/{customer_id}/orders", "order_processing")
    assert orders.status_code == 200
    assert [line["sku"] for line in orders.json()[0]["lines"]] == ["KL-MUG-02", "KL-JAM-08"]
    assert _get(web, "/api/orders/KL00000100", "support").json()["total_pence"] == 2400
    for path in (f"/api/customers/{customer_id}/invoices", f"/api/invoices/{invoice}"):
        denied = _get(web, path, "support")
        assert denied.status_code == 403
        assert denied.json()["type"].endswith("/permission-denied")
    web.cookies.clear()
    sign_in(web, staff[Role.FINANCE])
    invoices = _get(web, f"/api/customers/{customer_id}/invoices", "invoicing")
    assert invoices.status_code == 200, invoices.text
    assert invoices.json()[0]["billing_name"] == "Ada Lovelace"
    assert _get(web, f"/api/invoices/{invoice}", "invoicing").json()["vat_pence"] == 400
    assert _get(web, f"/api/invoices/{invoice}", "support").status_code == 403
    assert _get(web, "/api/invoices/INV-NOPE", "invoicing").status_code == 404
