"""Accuracy test helpers: customers with canary values, dated as the test needs, and staff."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.audit.models import AuditEvent
from klaremont.customers.models import (
    Address,
    AddressKind,
    CollectionChannel,
    Customer,
    Order,
    OrderStatus,
)
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.policy.purposes import LawfulBasis
from klaremont.rights.ports import CustomerIdentity
from klaremont.staff.hashing import hashing_for
from klaremont.testing.staff import STAFF_PASSWORD, make_staff, staff_client  # noqa: F401 - re-exported for the tests

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")
CUSTOMER_PASSWORD = "plum-orchard-whistle-58"
_numbers = count(1)


@dataclass
class Person:
    """A seeded customer and the personal values stored for them (the canaries)."""

    subject_id: uuid.UUID
    customer_id: uuid.UUID
    reference: str
    email: str
    address_id: uuid.UUID
    canaries: list[str] = field(default_factory=list)

    @property
    def identity(self) -> CustomerIdentity:
        """The person as the privacy centre knows them once signed in."""
        return CustomerIdentity(self.subject_id, self.customer_id)


def seed_customer(
    platform: Platform,
    tag: str,
    *,
    age: timedelta = timedelta(0),
    order_age: timedelta | None = None,
) -> Person:
    """A customer created ``age`` ago, with a name, e-mail, phone and postal address."""
    n = next(_numbers)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        created = uow.clock.now() - age
        common = {
            "channel": CollectionChannel.ACCOUNT_CREATION,
            "collected_at": created,
            "lawful_basis": LawfulBasis.CONTRACT,
        }
        subject = Subject(created_at=created, last_activity_at=created)
        uow.session.add(subject)
        email = f"canary.{tag}.{n}@example.com"
        customer = Customer(
            subject_id=subject.id,
            reference=f"A{n:07d}",
            created_at=created,
            updated_at=created,
            password_hash=hashing_for(platform).hash(CUSTOMER_PASSWORD),
            **common,
        )
        customer.name = f"Canary{tag} Person{n}"
        customer.email = email
        customer.phone = f"0113 496 {n:04d}"
        uow.session.add(customer)
        address = Address(
            subject_id=subject.id,
            customer_id=customer.id,
            kind=AddressKind.POSTAL,
            country="GB",
            **common,
        )
        address.line1 = f"{n} Canary{tag} Street"
        address.town = f"Canarytown{tag}"
        address.postcode = "LS1 4AP"
        uow.session.add(address)
        if order_age is not None:
            uow.session.add(
                Order(
                    subject_id=subject.id,
                    customer_id=customer.id,
                    number=f"AC{n:06d}",
                    placed_at=uow.clock.now() - order_age,
                    status=OrderStatus.DELIVERED,
                    total_pence=1200,
                    **common,
                )
            )
        uow.session.flush()
        canaries = [customer.name, email, customer.phone, address.line1, address.town]
        return Person(subject.id, customer.id, customer.reference, email, address.id, canaries)


def audit_details(platform: Platform, action: str) -> list[dict]:
    """The details of every audit event with this action tag, oldest first."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        ).all()
    return [json.loads(row) for row in rows]
