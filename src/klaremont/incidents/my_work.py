"""Incidents on the console home (extension point ``my_work``): references and deadlines only.

- The ISO (``incidents:manage``): every incident reported and not yet investigated (SP-REPORT:
  the console half of the alert), and every undecided notification whose deadline has passed
  or falls within 24 hours.
- Directors and the DPO (``incidents:read``): notification deadlines missed (the escalation).
- A member of an open incident's team: that incident.

The person's username comes from the staff principal (``WorkPrincipal`` carries the
account id and permissions; the staff principal also has ``username``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from klaremont.incidents import clocks, notify, service
from klaremont.incidents.states import OPEN_STATES, RECIPIENT_IN_SENTENCE, IncidentState
from klaremont.incidents.visibility import Viewer
from klaremont.work import Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "Security incidents"
SOON = timedelta(hours=24)


def _link(reference: str) -> str:
    return f"/staff/incidents/{reference}"


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """What is waiting on incidents for this person."""
    username = getattr(principal, "username", None)
    viewer = Viewer.of(str(username) if username else None, principal.permissions)
    if not viewer.oversees and viewer.username is None:
        return []
    now = uow.clock.now()
    work: list[WorkItem] = []
    for incident in service.visible(uow, viewer):
        if incident.state not in OPEN_STATES:
            continue
        link = _link(incident.reference)
        if viewer.manages and incident.state is IncidentState.REPORTED:
            work.append(
                WorkItem(
                    f"{incident.reference} reported: start the initial investigation",
                    Urgency.DUE,
                    detail=f"Reported {clocks.uk_when(incident.reported_at)}",
                    link=link,
                )
            )
        for row in service.notifications(uow, incident):
            if row.due_at is None or not viewer.oversees:
                continue
            title = (
                f"{incident.reference}: telling {RECIPIENT_IN_SENTENCE[row.recipient]} is "
                f"{clocks.left_words(now, row.due_at)}"
            )
            if notify.overdue(row, now):
                work.append(
                    WorkItem(
                        title,
                        Urgency.OVERDUE,
                        detail=f"Deadline {clocks.uk_when(row.due_at)}",
                        link=link,
                    )
                )
            elif viewer.manages and row.decision.value == "pending" and row.due_at - now <= SOON:
                work.append(
                    WorkItem(
                        title,
                        Urgency.DUE,
                        detail=f"Deadline {clocks.uk_when(row.due_at)}",
                        link=link,
                    )
                )
        if viewer.username is not None and viewer.username in service.members(uow, incident):
            work.append(
                WorkItem(
                    f"You sit on the response team of {incident.reference}",
                    Urgency.INFO,
                    detail="Log what you do on the incident's page",
                    link=link,
                )
            )
    return work
