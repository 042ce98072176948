"""Retention test helpers: people whose data is of a chosen age, with the raw stored values
(ciphertexts, blind indexes, the password hash) that a raw scan must not find once purged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.customers.models import (
    Address,
    AddressKind,
    CollectionChannel,
    ContactRecord,
    Customer,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    PaymentCard,
)
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.policy.purposes import LawfulBasis

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")
YEAR = timedelta(days=365)
_counter = iter(range(1, 1_000_000))


@dataclass
class Aged:
    """A seeded person: ids of every row, by table."""

    tag: str
    subject_id: uuid.UUID
    customer_id: uuid.UUID
    reference: str
    rows: dict[str, list[uuid.UUID]] = field(default_factory=dict)


def seed_aged(
    platform: Platform,
    tag: str,
    *,
    idle: timedelta,
    order_age: timedelta | None = None,
    invoice_age: timedelta | None = None,
    resolved_age: timedelta | None = None,
    closed_age: timedelta | None = None,
    objection: bool = False,
) -> Aged:
    """A customer last active ``idle`` ago, with an address, a card, an order with two lines
    and its invoice (``order_age`` / ``invoice_age`` old), a complaint resolved
    ``resolved_age`` ago and, with ``closed_age``, an account closed that long ago."""
    n = next(_counter)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        now = uow.clock.now()
        last = now - idle
        common: dict[str, Any] = {
            "channel": CollectionChannel.ACCOUNT_CREATION,
            "collected_at": last,
            "lawful_basis": LawfulBasis.CONTRACT,
        }
        subject = Subject(
            created_at=last - YEAR,
            last_activity_at=last,
            marketing_objection_at=last if objection else None,
        )
        uow.session.add(subject)
        customer = Customer(
            subject_id=subject.id,
            reference=f"R{n:07d}",
            created_at=last - YEAR,
            updated_at=last,
            closed_at=None if closed_age is None else now - closed_age,
            password_hash=f"$argon2id$v=19$m=19456,t=2,p=1$canary{tag}{n}$hash",
            **common,
        )
        customer.name = f"Canary {tag} {n}"
        customer.email = f"{tag}.{n}@example.com"
        customer.phone = f"0113 496 {n % 10000:04d}"
        customer.date_of_birth = "1980-04-01"
        uow.session.add(customer)
        uow.session.flush()
        aged = Aged(tag, subject.id, customer.id, customer.reference)
        aged.rows["customers"] = [customer.id]
        address = Address(
            subject_id=subject.id,
            customer_id=customer.id,
            kind=AddressKind.DELIVERY,
            country="GB",
            **common,
        )
        address.line1 = f"{n} Canary {tag} Street"
        address.postcode = "LS1 1AA"
        uow.session.add(address)
        card = PaymentCard(
            subject_id=subject.id,
            customer_id=customer.id,
            provider="localpay",
            brand="visa",
            exp_month=4,
            exp_year=2031,
            last4="4242",
            created_at=last,
            **common,
        )
        card.token = f"tok_canary_{tag}_{n}"
        uow.session.add(card)
        uow.session.flush()
        aged.rows["addresses"] = [address.id]
        aged.rows["payment_cards"] = [card.id]
        if resolved_age is not None:
            contact = ContactRecord(
                subject_id=subject.id,
                customer_id=customer.id,
                kind="complaint",
                received_at=now - resolved_age - timedelta(days=2),
                resolved_at=now - resolved_age,
                **common,
            )
            contact.summary = f"Complaint canary {tag} {n}"
            uow.session.add(contact)
            uow.session.flush()
            aged.rows["contact_records"] = [contact.id]
        if order_age is not None:
            placed = now - order_age
            order = Order(
                subject_id=subject.id,
                customer_id=customer.id,
                number=f"RT{n:06d}",
                placed_at=placed,
                status=OrderStatus.DELIVERED,
                total_pence=2400,
                delivery_address_id=address.id,
                channel=CollectionChannel.WEBSITE_PURCHASE,
                collected_at=placed,
                lawful_basis=LawfulBasis.CONTRACT,
            )
            order.lines.append(
                OrderLine(
                    position=1, sku="KL-TEA", description="Tea", quantity=1, unit_price_pence=2400
                )
            )
            uow.session.add(order)
            uow.session.flush()
            aged.rows["orders"] = [order.id]
            if invoice_age is not None:
                invoice = Invoice(
                    subject_id=subject.id,
                    order_id=order.id,
                    number=f"RI{n:06d}",
                    issued_at=now - invoice_age,
                    net_pence=2000,
                    vat_pence=400,
                    channel=CollectionChannel.WEBSITE_PURCHASE,
                    collected_at=placed,
                    lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
                )
                invoice.billing_name = f"Invoice canary {tag} {n}"
                uow.session.add(invoice)
                uow.session.flush()
                aged.rows["invoices"] = [invoice.id]
    return aged


SEALED = {
    "customers": ("name", "email", "email_bidx", "phone", "phone_bidx", "password_hash"),
    "addresses": ("line1", "postcode"),
    "payment_cards": ("token",),
    "contact_records": ("summary",),
    "invoices": ("billing_name",),
}


def stored_values(platform: Platform, table: str, row_id: uuid.UUID) -> list[bytes]:
    """The raw stored bytes of a row's personal columns (ciphertexts, indexes, hash)."""
    from klaremont.db.base import Base  # noqa: PLC0415 - the metadata once models are loaded

    sql_table = Base.metadata.tables[table]
    columns = [sql_table.c[name] for name in SEALED[table]]
    with platform.engine.connect() as connection:
        row = connection.execute(select(*columns).where(sql_table.c.id == row_id)).one()
    found: list[bytes] = []
    for value in row:
        if value is None:
            continue
        raw = value if isinstance(value, bytes) else str(value).encode()
        found.append(raw[-24:] if len(raw) > 24 else raw)
    return found


def now_of(platform: Platform) -> datetime:
    """The platform's clock now."""
    return platform.clock.now()
