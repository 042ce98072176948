"""Data-subject requests in words (the audit log's ``audit_resource_names``): their reference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.rights.models import RightsRequest

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from klaremont.audit.resource_names import Wanted


def names(session: Session, wanted: Wanted) -> dict[tuple[str, uuid.UUID], str]:
    """``dsr:<id>`` as ``Request DSR-...``."""
    ids = wanted.get("dsr")
    if not ids:
        return {}
    rows = session.execute(
        select(RightsRequest.id, RightsRequest.reference).where(RightsRequest.id.in_(ids))
    )
    return {("dsr", ident): f"Request {ref}" for ident, ref in rows}
