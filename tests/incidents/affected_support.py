"""Helpers of the affected-customer tests: customers on the store, an incident with its team,
and the outbox read back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from casefile_support import open_case
from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.customers.models import CollectionChannel, Customer
from klaremont.db.subjects import Subject
from klaremont.mail.models import OutboxMessage
from klaremont.policy.purposes import LawfulBasis

if TYPE_CHECKING:
    from klaremont.platform import Platform

SEEDER = Actor(ActorType.SYSTEM, "test")
_numbers = iter(range(1, 1_000_000))


@dataclass(frozen=True)
class Shopper:
    """A customer on the store: their person, account reference and address."""

    subject_id: uuid.UUID
    customer_id: uuid.UUID
    reference: str
    email: str


def shopper(platform: Platform, tag: str, *, email: bool = True) -> Shopper:
    """A customer account with a name and (unless told otherwise) an e-mail address."""
    n = next(_numbers)
    with platform.unit_of_work(actor=SEEDER) as uow:
        now = uow.clock.now()
        subject = Subject(created_at=now - timedelta(days=100), last_activity_at=now)
        uow.session.add(subject)
        uow.session.flush()
        customer = Customer(
            subject_id=subject.id,
            reference=f"C{n:07d}",
            created_at=now - timedelta(days=100),
            updated_at=now,
            channel=CollectionChannel.ACCOUNT_CREATION,
            collected_at=now - timedelta(days=100),
            lawful_basis=LawfulBasis.CONTRACT,
        )
        address = f"{tag}.{n}@example.com"
        customer.name = f"{tag.title()} Shopper"
        if email:
            customer.email = address
        uow.session.add(customer)
        uow.session.flush()
        return Shopper(subject.id, customer.id, customer.reference, address)


def case_with(client, *people: Shopper) -> str:
    """An incident with its team at work, ``people`` listed as affected by the ISO."""
    reference = open_case(client)
    if people:
        listed = client("ivy").post(
            f"/api/incidents/{reference}/affected",
            json={"customers": [p.reference for p in people], "why": "In the leaked export."},
        )
        assert listed.status_code == 200, listed.text
    return reference


def outbox(platform: Platform, template: str) -> list[tuple[str, str, str]]:
    """(to, subject line, body) of the messages of one template, oldest first."""
    with platform.unit_of_work() as uow:
        return [
            (m.to_address, m.subject_line, m.body)
            for m in uow.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(OutboxMessage.created_at)
            )
        ]
