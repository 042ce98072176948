"""API shapes of the customer store (the CLI prints the same shapes as JSON).

Inputs refuse unknown fields, so a ``cvv`` cannot ride along unnoticed; the card-data
guard refuses it before validation anyway. Outputs carry only the categories the stated
purpose may see: a field of a withheld category is ``null`` and its category is listed in
``withheld``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from klaremont.customers.models import AddressKind, CollectionChannel, OrderStatus
from klaremont.plausible import Day
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import LawfulBasis, MarketingChannel, Purpose

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=12)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=32)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
PASSWORD_MIN = 12


class In(BaseModel):
    """Base of inputs: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Base of outputs."""

    model_config = ConfigDict(from_attributes=True)


class Provenance(Out):
    """How, when and on which lawful basis a record was collected (PP-SRC, DP-FAIR)."""

    channel: CollectionChannel
    collected_at: datetime
    lawful_basis: LawfulBasis


# ------------------------------------------------------------------ inputs


class AddressIn(In):
    """A postal, billing or delivery address."""

    kind: AddressKind
    line1: Line
    line2: Line | None = None
    town: Line
    postcode: Postcode
    country: Country = "GB"


class CustomerCreate(In):
    """A new customer account (and, when the e-mail is new, a new data subject)."""

    name: Name
    email: Email
    date_of_birth: Day | None = None
    gender: Short | None = None
    phone: Phone | None = None
    mobile: Phone | None = None
    channel: CollectionChannel
    lawful_basis: LawfulBasis = Field(
        default=LawfulBasis.CONTRACT, description="why the data may be collected (DP-FAIR)"
    )
    addresses: list[AddressIn] = Field(default_factory=list, max_length=10)
    password: SecretStr | None = Field(
        default=None, description=f"customer account password, at least {PASSWORD_MIN} characters"
    )
    marketing: dict[MarketingChannel, bool] | None = Field(
        default=None,
        description="special offers the person agreed to when giving their details, per "
        "channel; a channel left out is recorded as refused (PP-OPTOUT)",
    )


class CustomerUpdate(In):
    """A rectification: only the fields sent change; ``null`` clears an optional one."""

    name: Name | None = None
    email: Email | None = None
    date_of_birth: Day | None = None
    gender: Short | None = None
    phone: Phone | None = None
    mobile: Phone | None = None


class ContactIn(In):
    """A query or complaint received by any means (PP-SRC)."""

    kind: Literal["query", "complaint"]
    summary: Summary
    channel: CollectionChannel = CollectionChannel.CONTACT


class SearchIn(In):
    """Find customers by exactly one of e-mail or phone (blind index; sent in a body, not a URL)."""

    email: Email | None = None
    phone: Phone | None = None


# ------------------------------------------------------------------ outputs


class AddressOut(Provenance):
    """An address."""

    id: uuid.UUID
    kind: AddressKind
    line1: str | None
    line2: str | None
    town: str | None
    postcode: str | None
    country: str


class CustomerOut(Provenance):
    """One customer account as the stated purpose may see it."""

    id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    has_password: bool = Field(description="whether the account has a password (never the hash)")
    purpose: Purpose
    name: str | None = None
    date_of_birth: str | None = None
    age: int | None = Field(
        default=None, description="derived from the date of birth, never stored"
    )
    gender: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    addresses: list[AddressOut] | None = None
    shown: list[DataCategory]
    withheld: list[DataCategory]


class CustomerCreated(Out):
    """What creating an account returns (no personal values echoed)."""

    id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    linked: bool = Field(description="true when the e-mail joined an existing person's record")


class CustomerSummary(Out):
    """One row of a list or search."""

    id: uuid.UUID
    reference: str
    created_at: datetime
    closed: bool
    restricted: bool
    name: str | None = Field(default=None, description="withheld when the purpose may not see it")


class CustomerPage(Out):
    """A page of customers; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[CustomerSummary]
    next_cursor: str | None


class OrderLineOut(Out):
    """A product line."""

    position: int
    sku: str
    description: str
    quantity: int
    unit_price_pence: int


class OrderOut(Provenance):
    """An order with its lines."""

    id: uuid.UUID
    number: str
    customer_id: uuid.UUID | None
    placed_at: datetime
    status: OrderStatus
    total_pence: int
    currency: str
    lines: list[OrderLineOut]


class InvoiceOut(Provenance):
    """An invoice."""

    id: uuid.UUID
    number: str
    order_id: uuid.UUID
    issued_at: datetime
    net_pence: int
    vat_pence: int
    billing_name: str | None
    billing_address: str | None


class ContactOut(Provenance):
    """A query or complaint."""

    id: uuid.UUID
    customer_id: uuid.UUID | None
    kind: str
    received_at: datetime
    resolved_at: datetime | None
    summary: str | None


class CardOut(BaseModel):
    """A saved card as anyone may see it: brand, masked number, expiry."""

    id: uuid.UUID
    customer_id: uuid.UUID
    brand: str
    masked: str = Field(description="the last four digits only, e.g. '•••• 1234'")
    exp_month: int
    exp_year: int
    provider: str
    created_at: datetime
    removed_at: datetime | None
    channel: CollectionChannel
    collected_at: datetime
    lawful_basis: LawfulBasis
