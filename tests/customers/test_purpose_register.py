"""The purposes register, lawful bases and the data categories of the customer store."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from store_support import TEST_ACTOR, make_staff, sign_in

from klaremont.customers.categories import FIELD_CATEGORIES, PRIVACY_POLICY_ITEMS, TABLE_CATEGORY
from klaremont.customers.checks import (
    PROVENANCE_TABLES,
    every_policy_item_has_a_home,
    lawful_basis_everywhere,
    provenance_recorded,
    register_is_limited,
)
from klaremont.customers.models import Address, CollectionChannel, ContactRecord, Customer
from klaremont.db.tags import DATA_CATEGORY
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import LawfulBasis, Purpose
from klaremont.purposes.register import (
    CONTROLLER_ACTIVITIES,
    REGISTER,
    categories_for,
    lawful_bases,
    parse_purpose,
)
from klaremont.staff.permissions import Role

C = DataCategory


@pytest.mark.policy("DP-CONTROLLER")
def test_register_is_the_three_controller_activities_plus_legal_and_operational_needs():
    """The register holds order processing, invoicing, marketing, support, legal obligation and
    security, and nothing else; the live check agrees."""
    assert set(REGISTER) == set(Purpose)
    assert {Purpose.ORDER_PROCESSING, Purpose.INVOICING, Purpose.MARKETING} == CONTROLLER_ACTIVITIES
    assert [p for p, s in REGISTER.items() if s.controller_activity] == [
        Purpose.ORDER_PROCESSING,
        Purpose.INVOICING,
        Purpose.MARKETING,
    ]
    assert register_is_limited(None).holds


@pytest.mark.policy("DP-CONTROLLER", "DP-PURPOSE")
def test_a_purpose_outside_the_register_is_refused_naming_the_field(platform, web, customer_id):
    """A read for a purpose the register does not list (or none at all) is a 422 naming purpose."""
    sign_in(web, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    for params in ({"purpose": "profiling"}, {}):
        response = web.get(f"/api/customers/{customer_id}", params=params)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "purpose"
    with pytest.raises(Exception, match="purpose: must be one of"):
        parse_purpose("profiling")


@pytest.mark.policy("DP-FAIR")
def test_every_purpose_rests_on_a_lawful_basis():
    """Each purpose names its lawful basis: contract for orders, legal obligation for invoices,
    consent or legitimate interest for marketing."""
    for purpose in Purpose:
        assert lawful_bases(purpose), purpose
    assert lawful_bases(Purpose.ORDER_PROCESSING) == (LawfulBasis.CONTRACT,)
    assert lawful_bases(Purpose.INVOICING)[0] is LawfulBasis.LEGAL_OBLIGATION
    assert set(lawful_bases(Purpose.MARKETING)) == {
        LawfulBasis.CONSENT,
        LawfulBasis.LEGITIMATE_INTEREST,
    }
    assert lawful_bases(Purpose.LEGAL_OBLIGATION) == (LawfulBasis.LEGAL_OBLIGATION,)


@pytest.mark.policy("DP-PURPOSE", "IS-SENS-NEED")
def test_each_purpose_touches_only_its_categories():
    """Marketing never touches cards or invoices; no staff purpose reads password hashes."""
    assert C.PAYMENT_CARDS not in categories_for(Purpose.MARKETING)
    assert C.INVOICES not in categories_for(Purpose.MARKETING)
    assert C.INVOICES not in categories_for(Purpose.SUPPORT)
    assert C.INVOICES in categories_for(Purpose.INVOICING)
    for purpose in Purpose:
        if purpose is not Purpose.SECURITY:
            assert C.ACCOUNT_PASSWORD not in categories_for(purpose)


@pytest.mark.policy("PP-DATA")
def test_every_column_of_the_store_has_a_data_category(platform):
    """Each column of each customer-store table maps to one category, and the tables carry it."""
    with platform.engine.connect() as conn:
        inspector = inspect(conn)
        for model in TABLE_CATEGORY:
            table = model.__tablename__
            stored = {c["name"] for c in inspector.get_columns(table)}
            assert stored == set(FIELD_CATEGORIES[table]), table
            assert model.__table__.info[DATA_CATEGORY] == TABLE_CATEGORY[model].value
    assert FIELD_CATEGORIES["customers"]["email"] is C.CONTACT
    assert FIELD_CATEGORIES["customers"]["password_hash"] is C.ACCOUNT_PASSWORD
    assert FIELD_CATEGORIES["payment_cards"]["last4"] is C.PAYMENT_CARDS


@pytest.mark.policy("PP-DATA")
def test_every_item_the_privacy_policy_lists_is_held_with_its_category():
    """Name, age/DOB, gender, three kinds of address, phones, e-mail, orders, passwords, cards and
    preferences each have a categorised home; date of birth is stored, age is derived."""
    assert len(PRIVACY_POLICY_ITEMS) == 13
    for item, (category, where) in PRIVACY_POLICY_ITEMS.items():
        table, column = where.split(".")
        assert FIELD_CATEGORIES[table][column] is category, item
    assert "age" not in FIELD_CATEGORIES["customers"]
    assert every_policy_item_has_a_home(None).holds


@pytest.mark.policy("PP-SRC", "DP-FAIR", "IS-SENS-CONSENT")
def test_every_record_keeps_its_channel_time_and_lawful_basis(platform, web, clock):
    """An account made over the API, its addresses and a complaint all record how, when and on
    which basis they were collected; the live checks hold on the stored rows."""
    headers = sign_in(web, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    created = web.post(
        "/api/customers",
        headers=headers,
        json={
            "name": "Grace Hopper",
            "email": "grace@example.com",
            "channel": "phone_order",
            "addresses": [
                {"kind": "billing", "line1": "3 Park Avenue", "town": "Bath", "postcode": "BA1 1AA"}
            ],
        },
    )
    assert created.status_code == 201, created.text
    customer = created.json()["id"]
    contact = web.post(
        f"/api/customers/{customer}/contacts",
        params={"purpose": "support"},
        headers=headers,
        json={"kind": "complaint", "summary": "Parcel left in the rain"},
    )
    assert contact.status_code == 201, contact.text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for model in (Customer, Address, ContactRecord):
            row = uow.session.scalars(select(model)).one()
            assert row.collected_at == clock.now()
            assert row.lawful_basis in set(LawfulBasis)
        assert uow.session.scalars(select(Customer)).one().channel == CollectionChannel.PHONE_ORDER
        assert uow.session.scalars(select(ContactRecord)).one().channel == "contact"
        assert (
            uow.session.scalars(select(ContactRecord)).one().lawful_basis
            == LawfulBasis.LEGITIMATE_INTEREST
        )
    assert {m.__tablename__ for m in PROVENANCE_TABLES} >= {"customers", "payment_cards", "orders"}
    assert provenance_recorded(platform).holds
    assert lawful_basis_everywhere(platform).holds
