"""The rights capability's part of the console home (extension point ``my_work``).

Requests overdue and due soon with their days left (``dsr:read``: the DPO and support),
and requests waiting for the requester's identity or with the clock paused while waiting
for the requester (``dsr:manage``: the DPO, who resumes them). References,
kinds and dates only, from the same due list the API gives (``GET /api/rights/due``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.rights import due, queries
from klaremont.rights.permissions import RightsPermission
from klaremont.rights.states import RequestState
from klaremont.work import Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "Data-subject requests"
LIST = "/staff/requests"
SHOWN = 10  # one line per request up to this many of each kind; the rest as a count


def _days(days_left: int) -> str:
    if days_left < 0:
        late = -days_left
        return f"{late} day{'s' if late != 1 else ''} overdue"
    if days_left == 0:
        return "due today"
    return f"{days_left} day{'s' if days_left != 1 else ''} left"


def _request(item: due.DueItem, urgency: Urgency) -> WorkItem:
    return WorkItem(
        title=f"{item.kind.capitalize()} request {item.reference}",
        urgency=urgency,
        detail=f"{_days(item.days_left)} (due {item.due_on:%d/%m/%Y})",
        link=f"{LIST}/{item.reference}",
    )


def _listed(found: list[due.DueItem], urgency: Urgency, what: str) -> list[WorkItem]:
    shown = [_request(item, urgency) for item in found[:SHOWN]]
    if len(found) > SHOWN:
        shown.append(
            WorkItem(f"More requests {what}", urgency, count=len(found) - SHOWN, link=LIST)
        )
    return shown


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """The requests this person works on, by urgency."""
    work: list[WorkItem] = []
    report: due.DueReport | None = None
    if RightsPermission.DSR_READ in principal.permissions:
        report = due.due_report(uow)
        work += _listed(report.overdue, Urgency.OVERDUE, "overdue")
        work += _listed(report.due_soon, Urgency.DUE, f"due within {report.within_days} days")
    if RightsPermission.DSR_MANAGE in principal.permissions:
        pending = queries.list_requests(uow, state=RequestState.IDENTITY_PENDING)
        if pending:
            work.append(
                WorkItem(
                    "Identity checks waiting for the requester",
                    Urgency.INFO,
                    count=len(pending),
                    detail="the clock is paused until the requester proves who they are",
                    link=LIST,
                )
            )
        paused = report.clock_paused if report is not None else []
        work += [_paused(item) for item in paused[:SHOWN]]
    return work


def _paused(item: due.DueItem) -> WorkItem:
    return WorkItem(
        title=f"{item.kind.capitalize()} request {item.reference}",
        urgency=Urgency.INFO,
        detail="clock paused, waiting for the requester: resume it when they answer",
        link=f"{LIST}/{item.reference}",
    )
