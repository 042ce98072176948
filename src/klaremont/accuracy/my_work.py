"""The accuracy capability's part of the console home (extension point ``my_work``).

Customer records whose accuracy review is overdue or due soon (``accuracy:review``: the
DPO), counted by the same service as the stale-data report (numbers only; names nobody).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.accuracy.permissions import AccuracyPermission
from klaremont.accuracy.report import stale_counts
from klaremont.work import Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "Accuracy reviews"
LINK = "/staff/accuracy-review"


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """Accuracy reviews overdue and due soon."""
    if AccuracyPermission.ACCURACY_REVIEW not in principal.permissions:
        return []
    counts = stale_counts(uow)
    work: list[WorkItem] = []
    if counts.overdue:
        work.append(
            WorkItem("Accuracy reviews overdue", Urgency.OVERDUE, count=counts.overdue, link=LINK)
        )
    if counts.due_soon:
        days = uow.policy.accuracy.due_soon_days
        work.append(
            WorkItem(
                f"Accuracy reviews due within {days} days",
                Urgency.DUE,
                count=counts.due_soon,
                link=LINK,
            )
        )
    return work
