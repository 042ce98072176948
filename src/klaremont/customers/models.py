"""Customer tables. Every personal field is sealed under its subject's data key (DP-SECURE);
every record keeps how, when and under which lawful basis it was collected (PP-SRC, DP-FAIR).

A :class:`Subject` is the person (the data subject); it holds no personal values, only the
processing state the purpose check reads (restriction, marketing objection, erasure).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from klaremont.crypto.fields import SealedMixin, sealed
from klaremont.db.base import Base, IdMixin
from klaremont.db.subjects import Subject
from klaremont.policy.purposes import LawfulBasis


class CollectionChannel(StrEnum):
    """How personal data reached Klaremont (PP-SRC)."""

    WEBSITE_PURCHASE = "website_purchase"
    ACCOUNT_CREATION = "account_creation"
    PHONE_ORDER = "phone_order"
    CONTACT = "contact"  # queries, complaints, by any means


class AddressKind(StrEnum):
    """Which address (PP-DATA names all three)."""

    POSTAL = "postal"
    BILLING = "billing"
    DELIVERY = "delivery"


class OrderStatus(StrEnum):
    """Where an order is."""

    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Collected:
    """Provenance columns every personal-data record carries (PP-SRC, DP-FAIR, IS-SENS-CONSENT)."""

    channel: Mapped[CollectionChannel] = mapped_column(String(32))
    collected_at: Mapped[datetime]
    lawful_basis: Mapped[LawfulBasis] = mapped_column(String(32))


class Customer(SealedMixin, Collected, IdMixin, Base):
    """A customer account on the shop (one person may hold several)."""

    __tablename__ = "customers"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # e.g. "C0001234", not personal
    name = sealed()
    date_of_birth = sealed()  # ISO date; age is derived, never stored
    gender = sealed()
    email = sealed(index="email")
    phone = sealed(index="phone")
    mobile = sealed(index="phone")
    password_hash: Mapped[str | None] = mapped_column(String(200))  # Argon2id, customer accounts
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    subject: Mapped[Subject] = relationship()
    addresses: Mapped[list[Address]] = relationship(back_populates="customer")


class Address(SealedMixin, Collected, IdMixin, Base):
    """A postal, billing or delivery address."""

    __tablename__ = "addresses"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[AddressKind] = mapped_column(String(16))
    line1 = sealed()
    line2 = sealed()
    town = sealed()
    postcode = sealed()
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2; not identifying alone

    customer: Mapped[Customer] = relationship(back_populates="addresses")


class Order(Collected, IdMixin, Base):
    """A purchase. Linked to the person; holds no personal values of its own."""

    __tablename__ = "orders"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    placed_at: Mapped[datetime]
    status: Mapped[OrderStatus] = mapped_column(String(16))
    total_pence: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    # indexed: deleting an address (erasure) checks this foreign key across every order
    delivery_address_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("addresses.id"), index=True
    )

    customer: Mapped[Customer | None] = relationship(foreign_keys=[customer_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position"
    )


class OrderLine(IdMixin, Base):
    """One product line of an order."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "position"),)

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_pence: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="lines")


class Invoice(SealedMixin, Collected, IdMixin, Base):
    """An invoice: kept six years by law (legal hold), restricted after erasure."""

    __tablename__ = "invoices"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_at: Mapped[datetime]
    net_pence: Mapped[int] = mapped_column(Integer)
    vat_pence: Mapped[int] = mapped_column(Integer)
    billing_name = sealed()
    billing_address = sealed()

    order: Mapped[Order] = relationship()


class PaymentCard(SealedMixin, Collected, IdMixin, Base):
    """A tokenised card: provider token, brand, expiry and last four digits only (IS-SENS-MASK).

    There is no column for a full card number, a CVV or track data, so none can be stored.
    """

    __tablename__ = "payment_cards"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    token = sealed()
    brand: Mapped[str] = mapped_column(String(16))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship()


class ContactRecord(SealedMixin, Collected, IdMixin, Base):
    """A query or complaint received by any means (PP-SRC)."""

    __tablename__ = "contact_records"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "query" | "complaint"
    received_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    summary = sealed()

    customer: Mapped[Customer | None] = relationship()
