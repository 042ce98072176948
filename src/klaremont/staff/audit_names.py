"""Staff accounts and remote access grants in words (the audit log's ``audit_resource_names``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.staff.models import RemoteGrant, StaffAccount

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from klaremont.audit.resource_names import Wanted


def names(session: Session, wanted: Wanted) -> dict[tuple[str, uuid.UUID], str]:
    """``staff:<id>`` as the username; ``remote-grant:<id>`` as whose grant it is."""
    named: dict[tuple[str, uuid.UUID], str] = {}
    if accounts := wanted.get("staff"):
        rows = session.execute(
            select(StaffAccount.id, StaffAccount.username).where(StaffAccount.id.in_(accounts))
        )
        named |= {("staff", ident): f"Staff account {name}" for ident, name in rows}
    if grants := wanted.get("remote-grant"):
        rows = session.execute(
            select(RemoteGrant.id, StaffAccount.username)
            .join(StaffAccount, StaffAccount.id == RemoteGrant.account_id)
            .where(RemoteGrant.id.in_(grants))
        )
        named |= {("remote-grant", ident): f"Remote access grant of {name}" for ident, name in rows}
    return named
