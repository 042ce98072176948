"""Finding a staff account by username: case-insensitive, by the unique ``username_key``."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.staff.models import StaffAccount

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def username_key(text: str) -> str:
    """The lookup form of a username: NFKC, trimmed, lower case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def find_account(uow: UnitOfWork, username: str) -> StaffAccount | None:
    """The account with this username, whatever its case."""
    key = username_key(username)
    if not key:
        return None
    return uow.session.scalars(
        select(StaffAccount).where(StaffAccount.username_key == key)
    ).one_or_none()
