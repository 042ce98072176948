"""The members' written reports on the console home (extension point ``my_work``).

A member of a recovered incident's team whose written report is not in sees it as due (the
incident cannot close without it); the ISO sees, per recovered incident, how many reports
are still missing. References and names only, never a report's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.incidents import reports, service
from klaremont.incidents.states import IncidentState
from klaremont.incidents.visibility import Viewer
from klaremont.work import Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """Reports this person owes, and (for the ISO) reports still missing."""
    username = getattr(principal, "username", None)
    viewer = Viewer.of(str(username) if username else None, principal.permissions)
    if not viewer.oversees and viewer.username is None:
        return []
    work: list[WorkItem] = []
    for incident in service.visible(uow, viewer, state=IncidentState.RECOVERED):
        link = f"/staff/incidents/{incident.reference}/member-reports"
        waiting = [s for s in reports.status(uow, incident) if s.submitted_at is None]
        if any(s.username == viewer.username for s in waiting):
            work.append(
                WorkItem(
                    f"{incident.reference} is recovered: write your report",
                    Urgency.DUE,
                    detail="Each member of the response team writes one before it closes",
                    link=link,
                )
            )
        if viewer.manages and waiting:
            names = ", ".join(s.username for s in waiting)
            work.append(
                WorkItem(
                    f"{incident.reference}: {len(waiting)} written report(s) still missing",
                    Urgency.DUE,
                    detail=f"Not in yet: {names}",
                    link=link,
                )
            )
    return work
