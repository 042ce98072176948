"""The one-statement account read (``read_customer``) shows what the ORM models hold."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from store_support import TEST_ACTOR, new_customer

from klaremont.crypto.errors import CiphertextIntegrityError
from klaremont.customers import service
from klaremont.customers.access import Access
from klaremont.customers.models import Address, Customer
from klaremont.policy.purposes import Purpose
from klaremont.staff.permissions import Role

SUPPORT = Access(Purpose.SUPPORT, frozenset({Role.SUPPORT_AGENT}))


@pytest.mark.policy("PP-DATA")
def test_read_matches_the_orm_view_of_the_account(platform, customer_id) -> None:
    """Every value read in one statement equals what the sealed ORM fields decrypt to."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        out = service.read_customer(uow, customer_id, SUPPORT)
        orm = service.find_customer(uow, customer_id, with_addresses=True)
        assert (out.name, out.email, out.phone, out.mobile) == (
            orm.name,
            orm.email,
            orm.phone,
            orm.mobile,
        )
        assert (out.date_of_birth, out.gender) == (orm.date_of_birth, orm.gender)
        assert out.reference == orm.reference
        assert out.created_at == orm.created_at
        by_id = {a.id: a for a in orm.addresses}
        assert {a.id for a in out.addresses or []} == set(by_id)
        for address in out.addresses or []:
            assert (address.line1, address.town, address.postcode) == (
                by_id[address.id].line1,
                by_id[address.id].town,
                by_id[address.id].postcode,
            )


def test_read_by_reference_and_without_addresses(platform) -> None:
    """A reference finds the account; an account without addresses shows an empty list."""
    plain = new_customer(platform, name="Grace Hopper", email="grace@example.com")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        reference = service.find_customer(uow, plain).reference
        for address in uow.session.query(Address).filter_by(customer_id=plain):
            uow.session.delete(address)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        out = service.read_customer(uow, reference.lower(), SUPPORT)
    assert out.id == plain
    assert out.addresses == []


def test_read_sees_the_units_own_unflushed_change(platform, customer_id) -> None:
    """A change made earlier in the same unit of work is read back, not the stored value."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        customer = uow.session.get(Customer, customer_id)
        assert customer is not None
        customer.name = "Ada King"
        assert service.read_customer(uow, customer_id, SUPPORT).name == "Ada King"


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_value_moved_to_another_row_does_not_decrypt(platform, customer_id) -> None:
    """The row id is bound into each value: a ciphertext copied onto another account fails."""
    other = new_customer(platform, name="Grace Hopper", email="grace@example.com")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        stolen = uow.session.get(Customer, customer_id)._name_sealed
        uow.session.execute(
            update(Customer.__table__).where(Customer.id == other).values(name=stolen)
        )
    with (
        platform.unit_of_work(actor=TEST_ACTOR) as uow,
        pytest.raises(CiphertextIntegrityError),
    ):
        service.read_customer(uow, other, SUPPORT)
