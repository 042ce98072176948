"""Tables of the keystore: a database of its own, apart from the data store.

Backups of the data store therefore never contain data keys, and destroying a subject's
data key (crypto-shredding) makes every copy of that subject's sealed values unreadable.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, LargeBinary, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from klaremont.db.base import NAMING_CONVENTION, UTCDateTime

KEK_ID_LENGTH = 64
REASON_LENGTH = 64


class KeystoreBase(DeclarativeBase):
    """Base for the keystore's tables (never mixed with the data store's ``Base``)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class SubjectKey(KeystoreBase):
    """One version of one data subject's data key, wrapped by a key-encryption key.

    ``wrapped`` is NULL once the key is destroyed; ``destroyed_at`` is set exactly then.
    A subject erased before it ever had a key gets a tombstone row (``kek_id`` NULL), so
    no key can be created for it afterwards.
    """

    __tablename__ = "subject_keys"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "(wrapped IS NULL) = (destroyed_at IS NOT NULL)", name="wrapped_until_destroyed"
        ),
        CheckConstraint("wrapped IS NULL OR kek_id IS NOT NULL", name="wrapped_names_kek"),
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kek_id: Mapped[str | None] = mapped_column(String(KEK_ID_LENGTH), index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    destroyed_at: Mapped[datetime | None]
    destroyed_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH))

    def __repr__(self) -> str:
        state = "destroyed" if self.destroyed_at else "live"
        return f"SubjectKey({self.subject_id}, v{self.version}, kek={self.kek_id!r}, {state})"
