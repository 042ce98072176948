"""Tables of data subject requests: the requests, identity codes, exports, download links,
transmissions to other organisations, and the erasure ledger.

Personal values (free text, the refusal and extension reasons, requested corrections, a
recipient address) are sealed under the subject's data key like every other personal
field, so crypto-shredding reaches them too.
Codes and link tokens are stored as keyed digests only, never in the clear.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.crypto.fields import SealedMixin, sealed
from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling
from klaremont.rights.states import (
    IdentityMethod,
    IntakeChannel,
    ObjectionScope,
    PauseReason,
    RequestKind,
    RequestState,
)

REASON_MAX = 500


DSR_CATEGORY = "data_subject_requests"


class RightsRequest(SealedMixin, IdMixin, Base):
    """One data subject request and its clock (DP-PROMPT). Kept after an erasure, as proof."""

    __tablename__ = "dsr_requests"
    __table_args__ = (
        Index("ix_dsr_requests_state_due", "state", "due_on"),
        # One open request per subject and kind (and objection scope): duplicate detection
        # that holds under concurrency. ``open_key`` is NULL once the request is closed.
        UniqueConstraint("subject_id", "open_key"),
        {"info": {RIGHTS: Handling.KEEP.value, DATA_CATEGORY: DSR_CATEGORY}},
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[RequestKind] = enum_column(RequestKind, 16)
    scope: Mapped[ObjectionScope | None] = enum_column(ObjectionScope, 16, nullable=True)
    state: Mapped[RequestState] = enum_column(RequestState, 16)
    open_key: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[IntakeChannel] = enum_column(IntakeChannel, 16)
    received_at: Mapped[datetime]
    received_on: Mapped[date] = mapped_column(Date)
    identity_method: Mapped[IdentityMethod | None] = enum_column(IdentityMethod, 16, nullable=True)
    verified_at: Mapped[datetime | None]
    pause_started_at: Mapped[datetime | None]
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    # The clock stopped by the DPO while waiting for the requester (:class:`ClockPause`):
    # since when, and the whole days of the stops already ended.
    clock_stopped_at: Mapped[datetime | None]
    stopped_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    original_due_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    extension_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason = sealed()  # free text about the person: sealed like their other data
    extension_notified_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    refusal_reason = sealed()  # read with queries.sealed_reason (gone once the key is shredded)
    outcome: Mapped[str | None] = mapped_column(Text)  # JSON: counts and names, no values
    routed_to: Mapped[str] = mapped_column(String(32), default="dpo")
    created_by: Mapped[str] = mapped_column(String(160))
    updated_at: Mapped[datetime]
    details = sealed()  # JSON: the requester's words, corrections asked for, recipient URL


class ClockPause(SealedMixin, IdMixin, Base):
    """One stop of a request's clock by the DPO, from pause to resume (DP-PROMPT).

    Kept with the request, as proof of why the answer came later; the note may say what was
    asked of the person, so it is sealed under their data key like the other reasons.
    """

    __tablename__ = "dsr_clock_pauses"
    __table_args__ = (
        Index("ix_dsr_clock_pauses_request_paused", "request_id", "paused_at"),
        {"info": {RIGHTS: Handling.KEEP.value, DATA_CATEGORY: DSR_CATEGORY}},
    )

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dsr_requests.id"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    reason: Mapped[PauseReason] = enum_column(PauseReason, 16)
    note = sealed()
    paused_at: Mapped[datetime]
    paused_by: Mapped[str] = mapped_column(String(160))
    resumed_at: Mapped[datetime | None]
    resumed_by: Mapped[str | None] = mapped_column(String(160))
    days: Mapped[int | None] = mapped_column(Integer)  # whole UK days stopped, once resumed


class VerificationChallenge(IdMixin, Base):
    """A single-use, expiring identity code sent to the address already on the account."""

    __tablename__ = "dsr_challenges"
    __table_args__ = ({"info": {RIGHTS: Handling.INTERNAL.value, DATA_CATEGORY: DSR_CATEGORY}},)

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dsr_requests.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ExportArtifact(IdMixin, Base):
    """A prepared copy (access or portability), sealed under the subject's data key."""

    __tablename__ = "dsr_exports"
    __table_args__ = (
        UniqueConstraint("request_id", "fmt"),
        {"info": {RIGHTS: Handling.INTERNAL.value, DATA_CATEGORY: DSR_CATEGORY}},
    )

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dsr_requests.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    fmt: Mapped[str] = mapped_column(String(8))  # json | html | zip
    media_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # sealed bytes


class DownloadLink(IdMixin, Base):
    """A link to a request's copies, sent to the verified address; a keyed digest of its token."""

    __tablename__ = "dsr_downloads"
    __table_args__ = ({"info": {RIGHTS: Handling.INTERNAL.value, DATA_CATEGORY: DSR_CATEGORY}},)

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dsr_requests.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    uses: Mapped[int] = mapped_column(Integer, default=0)
    max_uses: Mapped[int] = mapped_column(Integer)
    last_used_at: Mapped[datetime | None]


class Transmission(IdMixin, Base):
    """A portability copy sent to another organisation (PP-R-PORT): where, when, how it ended."""

    __tablename__ = "dsr_transmissions"
    __table_args__ = ({"info": {RIGHTS: Handling.KEEP.value, DATA_CATEGORY: DSR_CATEGORY}},)

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dsr_requests.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    recipient_host: Mapped[str] = mapped_column(String(253))
    sent_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))  # delivered | rejected | failed
    payload_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)


class ErasureLedger(IdMixin, Base):
    """One erased person, by pseudonymous id only, re-applied after every restore (PP-R-ERASE).

    ``subject_ref`` is the subject's UUID: a random identifier that names nobody once the
    person's rows and data key are gone. No personal value is ever written here.
    """

    __tablename__ = "erasure_ledger"
    __table_args__ = ({"info": {RIGHTS: Handling.IGNORE.value}},)

    subject_ref: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    request_ref: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    notice_ref: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the confirmation mail
    erased_at: Mapped[datetime]
    retained: Mapped[str] = mapped_column(Text)  # JSON: {"invoices": 3}, counts only
    hold_until: Mapped[datetime | None]  # when the last legal hold on a retained row ends
    shred_due_at: Mapped[datetime]  # when nothing retained needs the data key any more
    key_destroyed_at: Mapped[datetime | None]
    reapplied_at: Mapped[datetime | None]
