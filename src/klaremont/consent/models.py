"""Consent tables: privacy notices and their versions, marketing and cookie consent records.

Every consent table is append-only: a change of mind is a new row, never an update, so the
full history is the proof (IS-SENS-CONSENT). The current state of one subject and channel
(or category) is its latest row, ordered by the integer ``seq`` key. Rows hold no personal
values: a subject id, a channel or category, a yes or no, and how and when it was given.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from klaremont.db.base import Base, IdMixin
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling
from klaremont.policy.purposes import MarketingChannel

#: Consent records are proof: exported in an access copy, kept (pseudonymous) after erasure.
_KEEP_AS_PROOF = {"info": {RIGHTS: Handling.KEEP.value, DATA_CATEGORY: "consent_records"}}

# SQLite gives INTEGER PRIMARY KEY its rowid auto-increment only for the exact type INTEGER.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class CookieCategory(StrEnum):
    """Cookie categories; strictly necessary cookies cannot be refused (they hold a key only)."""

    STRICTLY_NECESSARY = "strictly_necessary"
    PREFERENCES = "preferences"
    ANALYTICS = "analytics"


#: The categories a person chooses; strictly necessary ones are always on.
OPTIONAL_COOKIE_CATEGORIES = (CookieCategory.PREFERENCES, CookieCategory.ANALYTICS)


class ConsentMethod(StrEnum):
    """How the choice was expressed."""

    WEB_FORM = "web_form"
    PHONE = "phone"
    PAPER = "paper"
    EMAIL_LINK = "email_link"


class ConsentSource(StrEnum):
    """Where the choice was collected: the collection channels (PP-SRC) and the privacy centre."""

    WEBSITE_PURCHASE = "website_purchase"
    ACCOUNT_CREATION = "account_creation"
    PHONE_ORDER = "phone_order"
    CONTACT = "contact"
    PRIVACY_CENTRE = "privacy_centre"
    STAFF_CONSOLE = "staff_console"


class PrivacyNotice(IdMixin, Base):
    """One published version of a notice; a new text is a new version, never an edit."""

    __tablename__ = "privacy_notices"
    __table_args__ = (UniqueConstraint("notice_key", "version"),)

    notice_key: Mapped[str] = mapped_column(String(64))  # e.g. "privacy"
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime]
    text_sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(128))


class _Proof:
    """What every consent record proves: who, when, how, where, under which notice."""

    recorded_at: Mapped[datetime]
    granted: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[ConsentMethod] = mapped_column(String(16))
    source: Mapped[ConsentSource] = mapped_column(String(32))
    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("privacy_notices.id"))
    recorded_by: Mapped[str] = mapped_column(String(128))  # the actor, "type:id"


class MarketingConsent(_Proof, Base):
    """One marketing choice of one subject for one channel (append-only)."""

    __tablename__ = "marketing_consents"
    __table_args__ = (
        Index("ix_marketing_consents_latest", "subject_id", "channel", "seq"),
        _KEEP_AS_PROOF,
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"))
    channel: Mapped[MarketingChannel] = mapped_column(String(8))

    notice: Mapped[PrivacyNotice] = relationship()


class CookieConsent(_Proof, Base):
    """One cookie choice for one category (append-only).

    Recorded against the signed-in subject, or for a visitor who is not signed in against
    the SHA-256 of the random key in their ``klaremont_cookie_choice`` cookie. A visitor who
    refuses every optional category gets no cookie at all, so refusing needs no cookie.
    """

    __tablename__ = "cookie_consents"
    __table_args__ = (
        Index("ix_cookie_consents_subject", "subject_id", "category", "seq"),
        Index("ix_cookie_consents_browser", "browser_key_hash", "category", "seq"),
        _KEEP_AS_PROOF,
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("data_subjects.id"))
    browser_key_hash: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[CookieCategory] = mapped_column(String(24))

    notice: Mapped[PrivacyNotice] = relationship()
