"""Staff accounts and remote access grants in words (the audit log's ``audit_resource_names``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.resource_names import ids_of, name_all
from klaremont.staff.models import RemoteGrant, StaffAccount

if TYPE_CHECKING:
    from collections.abc import Collection

    from sqlalchemy.orm import Session


def names(session: Session, wanted: Collection[str]) -> dict[str, str]:
    """``staff:<id>`` as the username; ``remote-grant:<id>`` as whose grant it is."""
    named: dict[str, str] = {}
    accounts = list(ids_of(wanted, "staff"))
    if accounts:
        rows = session.execute(
            select(StaffAccount.id, StaffAccount.username).where(StaffAccount.id.in_(accounts))
        )
        named |= name_all(wanted, "staff", {ident: f"Staff account {name}" for ident, name in rows})
    grants = list(ids_of(wanted, "remote-grant"))
    if grants:
        rows = session.execute(
            select(RemoteGrant.id, StaffAccount.username)
            .join(StaffAccount, StaffAccount.id == RemoteGrant.account_id)
            .where(RemoteGrant.id.in_(grants))
        )
        words = {ident: f"Remote access grant of {name}" for ident, name in rows}
        named |= name_all(wanted, "remote-grant", words)
    return named
