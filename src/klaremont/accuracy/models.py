"""The review history of customer records (DP-ACCURATE): who confirmed what, when, and how.

Each row says that one account's personal details were confirmed accurate or corrected:
by the customer in the privacy centre, by staff on the customer's behalf, or by a
rectification. A record's details were last confirmed at its newest review (or, with none,
when the account was created). Rows carry no personal value; they are the subject's data
for access and erasure like any other row linked to the person.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import DATA_CATEGORY
from klaremont.policy.model import DataCategory

ACTOR_ID_MAX = 128


class ReviewOutcome(StrEnum):
    """What the review found."""

    CONFIRMED = "confirmed"  # the details were checked and are still right
    RECTIFIED = "rectified"  # the details were corrected


class ReviewChannel(StrEnum):
    """How the review happened."""

    PRIVACY_CENTRE = "privacy_centre"  # the customer, signed in
    PHONE = "phone"  # staff, with the customer on the line
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in_person"
    STAFF_CORRECTION = "staff_correction"  # a correction through the customer store
    RIGHTS_REQUEST = "rights_request"  # a rectification request (PP-R-RECTIFY)


#: Channels through which staff (or an operator) record a confirmation for the customer.
STAFF_CHANNELS = frozenset(
    {ReviewChannel.PHONE, ReviewChannel.EMAIL, ReviewChannel.LETTER, ReviewChannel.IN_PERSON}
)
#: Channels that record a correction, not a confirmation.
RECTIFICATION_CHANNELS = frozenset({ReviewChannel.STAFF_CORRECTION, ReviewChannel.RIGHTS_REQUEST})


class AccuracyReview(IdMixin, Base):
    """One confirmation or correction of one account's details."""

    __tablename__ = "accuracy_reviews"
    __table_args__ = (
        Index("ix_accuracy_reviews_customer_reviewed", "customer_id", "reviewed_at"),
        {"info": {DATA_CATEGORY: DataCategory.IDENTITY.value}},
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    reviewed_at: Mapped[datetime]
    outcome: Mapped[ReviewOutcome] = enum_column(ReviewOutcome, 16)
    channel: Mapped[ReviewChannel] = enum_column(ReviewChannel, 24)
    actor_type: Mapped[str] = mapped_column(String(16))  # staff | customer | system
    actor_id: Mapped[str] = mapped_column(String(ACTOR_ID_MAX))
