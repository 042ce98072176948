"""The single customer view: one person across accounts, orders, invoices, cards and contacts."""

from __future__ import annotations

import json

import pytest
from store_support import (
    add_order,
    audit_events,
    consent_to_marketing,
    new_customer,
    set_state,
    sign_in,
    subject_of,
)

from klaremont.audit.events import Actor, ActorType
from klaremont.cards.actions import CardAction
from klaremont.cards.provider import LocalProvider, use_provider
from klaremont.cards.schemas import CardIn
from klaremont.cards.service import add_card
from klaremont.customers.access import Access
from klaremont.customers.schemas import ContactIn
from klaremont.customers.service import customer_view, record_contact
from klaremont.errors import PurposeRefused
from klaremont.policy.purposes import Purpose
from klaremont.staff.permissions import Role

AGENT = Actor(ActorType.STAFF, "00000000-0000-4000-8000-000000000003", "agent")


def _history(platform, customer_id) -> None:
    """An order with its invoice, a saved card and a complaint for the customer."""
    add_order(platform, customer_id)
    use_provider(platform, LocalProvider())
    with platform.unit_of_work(actor=AGENT) as uow:
        access = Access.of(Purpose.ORDER_PROCESSING, {Role.SUPPORT_AGENT})
        card = CardIn.model_validate(
            {"pan": "5555 5555 5555 4444", "exp_month": 9, "exp_year": 2029}
        )
        add_card(uow, customer_id, card, access)
        complaint = ContactIn(kind="complaint", summary="Mug arrived chipped")
        record_contact(
            uow, customer_id, complaint, Access.of(Purpose.SUPPORT, {Role.SUPPORT_AGENT})
        )


@pytest.mark.policy("PP-COMBINE")
def test_the_view_combines_every_account_order_card_and_contact_of_one_person(
    platform, web, staff, customer_id
):
    """A second account with the same e-mail joins the person; the support view shows both
    accounts, the orders, the masked card and the complaint, but no invoices."""
    second = new_customer(platform, name="Ada King", email="ADA@example.com")
    assert subject_of(platform, second) == subject_of(platform, customer_id)
    _history(platform, customer_id)
    add_order(platform, second, number="KL00000200")
    sign_in(web, staff[Role.SUPPORT_AGENT])
    view = web.get(f"/api/customers/{second}/view", params={"purpose": "support"}).json()
    assert sorted(a["name"] for a in view["accounts"]) == ["Ada King", "Ada Lovelace"]
    assert sorted(o["number"] for o in view["orders"]) == ["KL00000100", "KL00000200"]
    assert view["invoices"] is None
    assert [(c["brand"], c["masked"]) for c in view["cards"]] == [("mastercard", "•••• 4444")]
    assert [c["summary"] for c in view["contacts"]] == ["Mug arrived chipped"]
    assert view["preferences"]["marketing_objection"] is False
    assert "5555 5555" not in json.dumps(view)
    reads = audit_events(platform, CardAction.CARD_READ)
    assert reads[-1].purpose == "support"
    assert json.loads(reads[-1].details)["view"] is True


@pytest.mark.policy("PP-COMBINE", "DP-PURPOSE")
def test_the_view_shows_only_what_the_purpose_may_touch(platform, web, staff, customer_id):
    """Finance invoicing sees invoices and orders but no cards or contacts; marketing (with
    consent) sees identity, contact, addresses and preferences only."""
    _history(platform, customer_id)
    consent_to_marketing(platform, subject_of(platform, customer_id))
    sign_in(web, staff[Role.FINANCE])
    invoicing = web.get(
        f"/api/customers/{customer_id}/view", params={"purpose": "invoicing"}
    ).json()
    assert invoicing["shown"] == ["address", "contact", "identity", "invoices", "orders"]
    assert [i["number"] for i in invoicing["invoices"]] == ["INV00000100"]
    assert invoicing["cards"] is None
    assert invoicing["contacts"] is None
    web.cookies.clear()
    sign_in(web, staff[Role.MARKETING])
    marketing = web.get(
        f"/api/customers/{customer_id}/view", params={"purpose": "marketing"}
    ).json()
    assert marketing["shown"] == ["address", "contact", "identity", "marketing_preferences"]
    assert marketing["preferences"]["channels"]["email"] is True
    assert marketing["orders"] is None
    assert marketing["cards"] is None


@pytest.mark.policy("PP-COMBINE", "PP-R-RESTRICT", "PP-R-OBJECT")
def test_the_view_respects_restriction_and_objection(platform, clock, customer_id):
    """An objection refuses the marketing view; a restriction refuses the support view but lets
    a legal obligation (the DPO answering a request) read the retained record."""
    subject_id = subject_of(platform, customer_id)
    consent_to_marketing(platform, subject_id)
    staff = Actor(ActorType.STAFF, "00000000-0000-4000-8000-000000000002")
    marketing = Access.of(Purpose.MARKETING, {Role.MARKETING})
    with platform.unit_of_work(actor=staff) as uow:
        assert customer_view(uow, customer_id, marketing).preferences is not None
    set_state(platform, subject_id, marketing_objection_at=clock.now())
    with pytest.raises(PurposeRefused, match="objected"), platform.unit_of_work(actor=staff) as uow:
        customer_view(uow, customer_id, marketing)
    set_state(platform, subject_id, restricted_at=clock.now())
    with (
        pytest.raises(PurposeRefused, match="restricted"),
        platform.unit_of_work(actor=staff) as uow,
    ):
        customer_view(uow, customer_id, Access.of(Purpose.SUPPORT, {Role.SUPPORT_AGENT}))
    with platform.unit_of_work(actor=staff) as uow:
        view = customer_view(uow, customer_id, Access.of(Purpose.LEGAL_OBLIGATION, {Role.DPO}))
    assert view.restricted is True
    assert view.accounts[0].name == "Ada Lovelace"
    assert view.preferences is not None
    assert view.preferences.marketing_objection is True
