"""Data-subject requests in words (the audit log's ``audit_resource_names``): their reference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.resource_names import ids_of, name_all
from klaremont.rights.models import RightsRequest

if TYPE_CHECKING:
    from collections.abc import Collection

    from sqlalchemy.orm import Session


def names(session: Session, wanted: Collection[str]) -> dict[str, str]:
    """``dsr:<id>`` as ``Request DSR-...``."""
    ids = list(ids_of(wanted, "dsr"))
    if not ids:
        return {}
    rows = session.execute(
        select(RightsRequest.id, RightsRequest.reference).where(RightsRequest.id.in_(ids))
    )
    return name_all(wanted, "dsr", {ident: f"Request {ref}" for ident, ref in rows})
