"""Disclosures to third parties, the people each covers, and the Art. 19 notices sent.

A disclosure names an organisation (a police force, a court, a company, a regulator), not
a person; the people it covers are held by their pseudonymous subject id and account
reference only. The tables are ``ignore`` for the rights machinery: the access copy gets
the disclosures through the ``subject_recipients`` point, and an erasure keeps them (the
record that a disclosure was made and approved is Klaremont's accountability record).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import RIGHTS, Handling

REFERENCE_MAX = 20
NAME_MAX = 128
ACTOR_MAX = 128
CONTACT_MAX = 254
LIST_MAX = 400
BASIS_MAX = 400
TEXT_MAX = 1000
_INFO = {"info": {RIGHTS: Handling.IGNORE.value}}


class RecipientKind(StrEnum):
    """Who the data goes to."""

    POLICE = "police"
    COURT = "court"
    COMPANY = "company"
    REGULATOR = "regulator"


class BasisKind(StrEnum):
    """The lawful basis recorded for the release."""

    CONSENT = "consent"
    COURT_ORDER = "court_order"
    STATUTORY_OBLIGATION = "statutory_obligation"
    VITAL_INTERESTS = "vital_interests"


class DisclosureState(StrEnum):
    """Where a disclosure stands."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    EXPORTED = "exported"


class Disclosure(IdMixin, Base):
    """One release of personal data to a third party, from request to export."""

    __tablename__ = "disclosures"
    __table_args__ = (Index("ix_disclosures_state", "state", "requested_at"), _INFO)

    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), unique=True)  # DX-2026-0001
    recipient_name: Mapped[str] = mapped_column(String(NAME_MAX))
    recipient_kind: Mapped[RecipientKind] = enum_column(RecipientKind, 20)
    recipient_country: Mapped[str] = mapped_column(String(2))
    #: where an Art. 19 notice goes (an organisation's mailbox), if given
    recipient_contact: Mapped[str | None] = mapped_column(String(CONTACT_MAX))
    categories: Mapped[str] = mapped_column(String(LIST_MAX))
    basis_kind: Mapped[BasisKind] = enum_column(BasisKind, 30)
    #: the consent record, the court order's reference, the statute, or why life is at stake
    basis_reference: Mapped[str] = mapped_column(String(BASIS_MAX))
    reason: Mapped[str] = mapped_column(String(TEXT_MAX))
    state: Mapped[DisclosureState] = enum_column(DisclosureState, 20)
    requested_by: Mapped[str] = mapped_column(String(ACTOR_MAX))  # the actor, "staff:<id>"
    requested_by_name: Mapped[str] = mapped_column(String(ACTOR_MAX))
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    decided_by_name: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    #: the role the approver held when approving ("director"), checked by the live check
    decided_as: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    exported_at: Mapped[datetime | None]
    exported_by_name: Mapped[str | None] = mapped_column(String(ACTOR_MAX))
    #: SHA-256 of the file handed over (the file itself is not kept)
    export_digest: Mapped[str | None] = mapped_column(String(64))
    #: the transfer guard's basis on the day of the export
    transfer_basis: Mapped[str | None] = mapped_column(String(TEXT_MAX))


class DisclosedPerson(IdMixin, Base):
    """One person a disclosure covers."""

    __tablename__ = "disclosure_people"
    __table_args__ = (
        UniqueConstraint("disclosure_id", "subject_id", name="uq_disclosure_people_person"),
        Index("ix_disclosure_people_subject", "subject_id"),
        _INFO,
    )

    disclosure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disclosures.id"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"))
    customer_reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))


class RecipientNotice(IdMixin, Base):
    """One Art. 19 notice: a recipient told that a person's data was rectified, erased or
    restricted (queued in the outbox), or why it could not be (no contact address). The
    recipient is a disclosure's, or a processor holding the data (``disclosure_id`` empty,
    ``reference`` the processor's share)."""

    __tablename__ = "disclosure_notices"
    __table_args__ = (Index("ix_disclosure_notices_subject", "subject_id"), _INFO)

    disclosure_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("disclosures.id"))
    recipient: Mapped[str] = mapped_column(String(NAME_MAX))
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"))
    change: Mapped[str] = mapped_column(String(20))  # rectified / restricted / erased
    what: Mapped[str] = mapped_column(String(LIST_MAX))  # field or category names, no values
    queued: Mapped[bool]
    message_id: Mapped[uuid.UUID | None]  # the outbox message (no key: the outbox purges)
    told_at: Mapped[datetime]
