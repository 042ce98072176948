"""Platform-wide tables that belong to no single capability."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base


class PlatformMeta(Base):
    """Key/value facts about this installation (e.g. when demo data was seeded)."""

    __tablename__ = "platform_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
