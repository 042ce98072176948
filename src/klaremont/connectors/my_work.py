"""Failed stores on the console home (extension point ``my_work``), for the DPO: one item
per erasure whose part in an external store failed, until a retry completes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.connectors.models import ConnectorRun, RunState
from klaremont.connectors.permissions import ConnectorPermission
from klaremont.work import Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "External stores"


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """Erasures waiting for a retry in an external store."""
    if ConnectorPermission.CONNECTORS_MANAGE not in principal.permissions:
        return []
    failed = uow.session.scalars(
        select(ConnectorRun)
        .where(ConnectorRun.state == RunState.FAILED)
        .order_by(ConnectorRun.finished_at)
    )
    return [
        WorkItem(
            f"Erasure {run.reference}: store {run.store} failed",
            Urgency.OVERDUE,
            detail=f"{run.error_class or 'error'} after {run.attempts} attempt(s); "
            f"retry with: klaremont connectors retry {run.reference}",
        )
        for run in failed
    ]
