"""Saved cards over the API: tokenised, masked, and every read of them in the audit log."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select
from store_support import TEST_ACTOR, audit_events, make_staff, set_state, sign_in, subject_of

from klaremont.audit.events import AuditAction
from klaremont.cards.actions import CardAction
from klaremont.cards.provider import LOCAL_PROVIDER, LocalProvider, provider_for, use_provider
from klaremont.customers.models import PaymentCard
from klaremont.errors import ConfigurationError
from klaremont.staff.permissions import Role

PAN = "4000 0566 5566 5556"


def _add(web, customer_id, headers, **card):
    body = {"pan": PAN, "exp_month": 11, "exp_year": 2030} | card
    return web.post(
        f"/api/customers/{customer_id}/cards",
        params={"purpose": "order_processing"},
        headers=headers,
        json=body,
    )


@pytest.mark.policy("IS-SENS-MASK", "IS-SENS-SAFE")
def test_a_card_is_tokenised_and_only_token_brand_expiry_and_last_four_are_kept(
    platform, web, card_manager, customer_id
):
    """The provider vaults the number; the store keeps a sealed token, the brand, the expiry and
    the last four digits; the response shows '•••• 5556' and nothing more."""
    provider = LocalProvider()
    use_provider(platform, provider)
    headers = sign_in(web, card_manager)
    response = _add(web, customer_id, headers)
    assert response.status_code == 201, response.text
    card = response.json()
    assert card["masked"] == "•••• 5556"
    assert (card["brand"], card["exp_month"], card["exp_year"]) == ("visa", 11, 2030)
    assert "4000" not in response.text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        row = uow.session.scalars(select(PaymentCard)).one()
        assert row.last4 == "5556"
        assert provider.holds(row.token)
        assert row.token.startswith("tok_local_")
        assert b"tok_local_" not in row._token_sealed
    created = audit_events(platform, CardAction.CARD_CREATE)[-1]
    assert json.loads(created.details)["brand"] == "visa"
    assert created.purpose == "order_processing"


@pytest.mark.policy("IS-AC-CHD-LOG")
def test_every_card_read_is_audited_and_the_log_verifies(platform, web, card_manager, customer_id):
    """Listing cards, the customer view and removing a card each write a card.read event with
    actor, purpose and outcome; refused reads are card.read/denied; the chain verifies."""
    headers = sign_in(web, card_manager)
    card_id = _add(web, customer_id, headers).json()["id"]
    listed = web.get(f"/api/customers/{customer_id}/cards", params={"purpose": "support"})
    assert [c["masked"] for c in listed.json()] == ["•••• 5556"]
    view = web.get(f"/api/customers/{customer_id}/view", params={"purpose": "order_processing"})
    assert view.json()["cards"][0]["id"] == card_id
    removed = web.delete(
        f"/api/customers/{customer_id}/cards/{card_id}",
        params={"purpose": "order_processing"},
        headers=headers,
    )
    assert removed.json()["removed_at"] is not None
    assert (
        web.get(f"/api/customers/{customer_id}/cards", params={"purpose": "support"}).json() == []
    )
    web.cookies.clear()
    sign_in(web, make_staff(platform, "maya", Role.MARKETING))
    denied = web.get(f"/api/customers/{customer_id}/cards", params={"purpose": "marketing"})
    assert denied.status_code == 403
    reads = audit_events(platform, CardAction.CARD_READ)
    assert [(e.purpose, e.outcome) for e in reads] == [
        ("support", "success"),
        ("order_processing", "success"),
        ("order_processing", "success"),
        ("support", "success"),
    ]
    assert all(e.actor_id == str(card_manager.id) for e in reads)
    assert json.loads(reads[0].details)["cards"] == [card_id]
    permission_denied = audit_events(platform, AuditAction.PERMISSION_DENIED)[-1]
    assert "cards:read" in permission_denied.details
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(PaymentCard, uuid.UUID(card_id)).token is None
    assert platform.audit.verify(platform.engine).ok


@pytest.mark.policy("IS-AC-CHD-LOG", "DP-PURPOSE")
def test_a_refused_card_read_is_a_denied_card_read_event(
    platform, card_manager, customer_id, web, clock
):
    """Reading a restricted person's cards is refused and logged as card.read, outcome denied."""
    set_state(platform, subject_of(platform, customer_id), restricted_at=clock.now())
    sign_in(web, card_manager)
    response = web.get(f"/api/customers/{customer_id}/cards", params={"purpose": "support"})
    assert response.status_code == 403
    event = audit_events(platform, CardAction.CARD_READ)[-1]
    assert (event.outcome, event.purpose) == ("denied", "support")


@pytest.mark.policy("IS-SENS-MASK")
def test_bad_numbers_and_expired_cards_are_refused_without_echo(
    platform, web, card_manager, customer_id
):
    """A number failing Luhn, an unknown brand and an expired card get a 422 naming the field and
    rule; the digits never come back."""
    headers = sign_in(web, card_manager)
    cases = (
        ({"pan": "4000 0566 5566 5557"}, "pan", "Luhn"),
        ({"pan": "9999 9999 9999 9995"}, "pan", "brand"),
        ({"pan": "4000-0566-5566-5556", "exp_year": 2026, "exp_month": 1}, "exp_year", "expired"),
        ({"pan": "4000 0566 556"}, "pan", "13 to 19 digits"),
    )
    for card, field, rule in cases:
        response = _add(web, customer_id, headers, **card)
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        assert error["field"] == field
        assert rule in error["rule"]
        assert "0566" not in response.text
        assert "9999" not in response.text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalars(select(PaymentCard)).all() == []


def test_production_refuses_the_local_provider(platform, settings, monkeypatch):
    """The in-memory local provider serves development and tests only: production must configure
    a real payment provider."""
    assert provider_for(platform).name == LOCAL_PROVIDER
    platform.extras.clear()
    monkeypatch.setattr(type(settings), "is_production", property(lambda _self: True))
    with pytest.raises(ConfigurationError, match="no payment provider"):
        provider_for(platform)
