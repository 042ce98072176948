"""Demo customers: sign-in logins for the privacy centre, tokenised cards, checks that hold."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from store_support import TEST_ACTOR

from klaremont.cards import demo_data as cards_demo
from klaremont.cards.checks import cards_keep_last_four_only
from klaremont.crypto.fields import blind_match
from klaremont.customers import demo_data
from klaremont.customers.checks import lawful_basis_everywhere, provenance_recorded
from klaremont.customers.models import Customer, PaymentCard
from klaremont.demo import service as demo
from klaremont.staff.hashing import hashing_for

SMALL = demo.DemoSize(customers=12, seed=11)


def test_demo_customers_can_sign_in_to_the_privacy_centre(platform):
    """The first demo customers have the documented password and are listed as logins."""
    logins = [login for login in demo.demo_logins() if login.surface == "privacy centre"]
    assert [login.username for login in logins] == [f"customer{n}@example.com" for n in (1, 2, 3)]
    demo.seed(platform, SMALL)
    hashing = hashing_for(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for login in logins:
            query = select(Customer).where(blind_match(Customer.email, login.username, uow.session))
            customer = uow.session.scalars(query).one()
            assert customer.password_hash.startswith("$argon2id$")
            assert hashing.verify(customer.password_hash, demo_data.DEMO_CUSTOMER_PASSWORD)
        others = uow.session.scalars(select(Customer).where(Customer.reference > "C0000003"))
        assert all(c.password_hash is None for c in others)


@pytest.mark.policy("PP-SRC", "DP-FAIR", "IS-SENS-MASK")
def test_demo_cards_are_tokenised_and_the_live_checks_hold(platform):
    """Demo cards carry local-provider tokens and four visible digits; provenance, lawful basis and
    last-four checks hold on the seeded shop."""
    demo.seed(platform, SMALL)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        cards = uow.session.scalars(select(PaymentCard)).all()
        assert cards
        for card in cards:
            assert card.token.startswith("tok_local_")
            assert card.provider == "localpay"
            assert len(card.last4) == 4
            assert card.last4.isdigit()
            assert card.brand in cards_demo.BRANDS
    for check in (provenance_recorded, lawful_basis_everywhere, cards_keep_last_four_only):
        result = check(platform)
        assert result.holds, result.detail
