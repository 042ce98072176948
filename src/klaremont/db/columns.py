"""Portable column helpers shared by every capability's tables."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Enum
from sqlalchemy.orm import MappedColumn, mapped_column


def _values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def enum_column(enum: type[StrEnum], length: int, *, nullable: bool = False) -> MappedColumn[Any]:
    """A VARCHAR holding the member's value, read back as the enum member."""
    kind = Enum(
        enum, native_enum=False, length=length, values_callable=_values, validate_strings=True
    )
    return mapped_column(kind, nullable=nullable)
