"""The processor register, the record of processing's systems and shares with processors.

Names here are organisations and systems, not people: a compliance record, not customer
data. Lists of data categories and purposes are stored as comma-separated enum values
(checked by the services against :class:`DataCategory` and :class:`Purpose`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import RIGHTS, Handling
from klaremont.transfers import Mechanism

KEY_MAX = 40
NAME_MAX = 128
TEXT_MAX = 1000
LIST_MAX = 400
HOST_MAX = 253
EMAIL_MAX = 254
TICKET_MAX = 40
_INFO = {"info": {RIGHTS: Handling.IGNORE.value}}


class Processor(IdMixin, Base):
    """One processor (or other recipient) personal data is sent to."""

    __tablename__ = "processors"
    __table_args__ = (_INFO,)

    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    #: what it does for Klaremont ("hosts the shop database")
    role: Mapped[str] = mapped_column(String(TEXT_MAX))
    country: Mapped[str] = mapped_column(String(2))
    #: the host name data is sent to (matches a portability or connector destination)
    host: Mapped[str | None] = mapped_column(String(HOST_MAX))
    categories: Mapped[str] = mapped_column(String(LIST_MAX))
    purposes: Mapped[str] = mapped_column(String(LIST_MAX))
    card_data: Mapped[bool] = mapped_column(Boolean)
    security: Mapped[str] = mapped_column(String(TEXT_MAX))
    mechanism: Mapped[Mechanism] = enum_column(Mechanism, 20)
    safeguard_signed_on: Mapped[date | None]
    tra_on: Mapped[date | None]
    contract_signed_on: Mapped[date | None]
    contract_expires_on: Mapped[date | None]
    dpa_signed_on: Mapped[date | None]
    dpa_expires_on: Mapped[date | None]
    aoc_on: Mapped[date | None]
    aoc_expires_on: Mapped[date | None]
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(NAME_MAX))
    #: where deletion-confirmation links go (an organisational address, e.g. the partner's DPO)
    contact_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    #: the data subject the contact's mail is filed under (created on the first mail)
    contact_subject_id: Mapped[uuid.UUID | None]


class ProcessingSystem(IdMixin, Base):
    """One system of the record of processing (UK GDPR Art. 30(1))."""

    __tablename__ = "processing_systems"
    __table_args__ = (_INFO,)

    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    #: the processor that runs it; none for Klaremont's own systems
    processor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("processors.id"))
    categories: Mapped[str] = mapped_column(String(LIST_MAX))
    purposes: Mapped[str] = mapped_column(String(LIST_MAX))
    recipients: Mapped[str] = mapped_column(String(TEXT_MAX))
    location: Mapped[str] = mapped_column(String(TEXT_MAX))
    country: Mapped[str] = mapped_column(String(2))
    security: Mapped[str] = mapped_column(String(TEXT_MAX))
    source: Mapped[str] = mapped_column(String(TEXT_MAX))


class ProcessorShare(IdMixin, Base):
    """One sending of personal data to a processor (an export, a support ticket's data)."""

    __tablename__ = "processor_shares"
    __table_args__ = (Index("ix_processor_shares_processor", "processor_id", "shared_at"), _INFO)

    processor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processors.id"))
    categories: Mapped[str] = mapped_column(String(LIST_MAX))
    card_data: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(TEXT_MAX))
    #: the transfer guard's basis ("UK adequacy ...", "IDTA with a TRA of ...")
    basis: Mapped[str] = mapped_column(String(TEXT_MAX))
    shared_at: Mapped[datetime]
    shared_by: Mapped[str] = mapped_column(String(NAME_MAX))
    delete_by: Mapped[date | None]


class SupportShare(IdMixin, Base):
    """Data given to a support partner against a ticket, until the partner confirms deletion
    (PP-SUPPORT). Customers are named by account reference (not personal on its own)."""

    __tablename__ = "processor_support_shares"
    __table_args__ = (Index("ix_support_shares_due", "confirmed_at", "due_on"), _INFO)

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    ticket: Mapped[str] = mapped_column(String(TICKET_MAX))
    processor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processors.id"))
    customers: Mapped[str] = mapped_column(String(LIST_MAX))
    fields: Mapped[str] = mapped_column(String(LIST_MAX))
    pseudonymised: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(TEXT_MAX))
    basis: Mapped[str] = mapped_column(String(TEXT_MAX))
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(NAME_MAX))
    exported_at: Mapped[datetime | None]
    exported_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    due_on: Mapped[date | None]
    #: keyed digest of the partner's single-use confirmation link (never the token itself)
    token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_expires_on: Mapped[date | None]
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    confirmed_method: Mapped[str | None] = mapped_column(String(40))
