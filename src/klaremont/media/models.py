"""Media records: the items, their movements, stocktakes and the disposal steps.

``media_movements`` and ``media_disposal_steps`` are append-only in the database (UPDATE
and DELETE refused by triggers, :mod:`klaremont.media.ddl`): a movement or a disposal step
once written is the record. An item's ``state`` is where it stands now; its history is in
those two tables and the audit log. Names here are staff names and the names of people an
item was handed to: a security record, not customer data.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import RIGHTS, Handling
from klaremont.media.states import Category, ItemState, MediaKind, Step, Technique

LABEL_MAX = 64
NAME_MAX = 128
PLACE_MAX = 200
TEXT_MAX = 1000
REFERENCE_MAX = 16
_INFO = {"info": {RIGHTS: Handling.IGNORE.value}}


class MediaItem(IdMixin, Base):
    """One backup, export, disk, laptop, tape or paper archive holding personal data."""

    __tablename__ = "media_items"
    __table_args__ = (Index("ix_media_items_state", "state"), _INFO)

    label: Mapped[str] = mapped_column(String(LABEL_MAX), unique=True)
    kind: Mapped[MediaKind] = enum_column(MediaKind, 16)
    holds_personal_data: Mapped[bool] = mapped_column(Boolean)
    holds_card_data: Mapped[bool] = mapped_column(Boolean)
    #: how it is encrypted, in words ("" when it is not: paper, an unencrypted disk)
    encryption: Mapped[str] = mapped_column(String(PLACE_MAX))
    location: Mapped[str] = mapped_column(String(PLACE_MAX))
    custodian: Mapped[str] = mapped_column(String(NAME_MAX))
    created_on: Mapped[date]
    retention_due: Mapped[date | None]
    state: Mapped[ItemState] = enum_column(ItemState, 20)
    #: with whom it is while ``out``
    held_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    backup_id: Mapped[str | None] = mapped_column(String(LABEL_MAX), unique=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(String(NAME_MAX))
    last_seen_at: Mapped[datetime | None]
    #: what the incident capability answered when the item went missing ("raised INC-...")
    loss_report: Mapped[str | None] = mapped_column(String(PLACE_MAX))


class MediaMovement(IdMixin, Base):
    """One movement of an item: append-only."""

    __tablename__ = "media_movements"
    __table_args__ = (Index("ix_media_movements_item", "item_id", "moved_at"), _INFO)

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media_items.id"))
    moved_at: Mapped[datetime]
    from_location: Mapped[str] = mapped_column(String(PLACE_MAX))
    to_location: Mapped[str] = mapped_column(String(PLACE_MAX))
    handed_to: Mapped[str] = mapped_column(String(NAME_MAX))
    approved_by: Mapped[str] = mapped_column(String(NAME_MAX))
    recorded_by: Mapped[str] = mapped_column(String(NAME_MAX))
    #: back into store (``handed_to`` is the custodian) or out to someone
    returned: Mapped[bool] = mapped_column(Boolean)


class MediaStocktake(IdMixin, Base):
    """One count of every item on hand."""

    __tablename__ = "media_stocktakes"
    __table_args__ = (UniqueConstraint("reference", name="uq_media_stocktakes_reference"), _INFO)

    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(NAME_MAX))
    finished_at: Mapped[datetime | None]
    finished_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    expected: Mapped[int] = mapped_column(Integer)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)


class MediaSighting(IdMixin, Base):
    """An item seen at a stocktake."""

    __tablename__ = "media_sightings"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "item_id", name="uq_media_sightings_item"),
        _INFO,
    )

    stocktake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media_stocktakes.id"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media_items.id"))
    seen_at: Mapped[datetime]
    seen_by: Mapped[str] = mapped_column(String(NAME_MAX))


class MediaDisposalStep(IdMixin, Base):
    """One step of a disposal (requested, approved, carried out): append-only."""

    __tablename__ = "media_disposal_steps"
    __table_args__ = (
        UniqueConstraint("reference", "step", name="uq_media_disposal_steps_step"),
        Index("ix_media_disposal_steps_item", "item_id"),
        _INFO,
    )

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media_items.id"))
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))
    step: Mapped[Step] = enum_column(Step, 16)
    at: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(String(NAME_MAX))
    actor_name: Mapped[str] = mapped_column(String(NAME_MAX))
    reason: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    category: Mapped[Category | None] = enum_column(Category, 8, nullable=True)
    technique: Mapped[Technique | None] = enum_column(Technique, 16, nullable=True)
    performed_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    witness: Mapped[str | None] = mapped_column(String(NAME_MAX))
    certificate: Mapped[str | None] = mapped_column(String(PLACE_MAX))
