"""A signed-in customer's refused card submission is audited as that customer (IS-SENS-MASK)."""

from __future__ import annotations

import pytest
from privacy_support import TEST_ACTOR, make_customer, sign_in
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.cards.actions import CardAction

CARD = "4111 1111 1111 1111"  # a well-known test card number


def _refusals(platform):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        query = select(AuditEvent).where(AuditEvent.action == CardAction.CARD_REFUSED.value)
        return [(e.actor_type, e.actor_id) for e in uow.session.scalars(query)]


@pytest.mark.policy("IS-SENS-MASK")
def test_a_signed_in_customers_refusal_names_the_customer(platform, client):
    """The privacy-centre form carrying a card number is refused and audited to the person."""
    person = make_customer(platform)
    token = sign_in(client, person)
    response = client.post(
        "/privacy/marketing",
        data={"csrf_token": token, "email": "yes", "note": CARD},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 422
    assert _refusals(platform) == [("customer", str(person.customer_id))]


@pytest.mark.policy("IS-SENS-MASK")
def test_a_visitor_without_a_session_stays_anonymous(platform, client):
    """Without a session the refusal is audited as anonymous."""
    response = client.post("/privacy/marketing", data={"email": "yes", "note": CARD})
    assert response.status_code == 422
    assert _refusals(platform) == [("anonymous", "anonymous")]
