"""Policy documents on the console home (extension point ``my_work``).

- Everyone (``policies:read``): each document whose current version they have not
  acknowledged yet (overdue once past the acknowledgement period).
- The DPO and the ISO (``policies:manage``): how many people are overdue on an
  acknowledgement, and how many sections are overdue for review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.display import uk_date
from klaremont.policydocs import overdue
from klaremont.policydocs.permissions import PolicyDocPermission
from klaremont.work import Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "Policies"
OVERSIGHT = "/staff/policies/overdue"


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """What is waiting on policy documents for this person."""
    held = {str(p) for p in principal.permissions}
    if PolicyDocPermission.POLICIES_READ.value not in held:
        return []
    work: list[WorkItem] = []
    username = getattr(principal, "username", None)
    today = uow.clock.now().date()
    pending = overdue.outstanding(uow, today)
    if username:
        for item in pending:
            if item.username != str(username):
                continue
            work.append(
                WorkItem(
                    f"Read and acknowledge the {item.title} (version {item.label})",
                    Urgency.OVERDUE if item.overdue else Urgency.DUE,
                    detail=f"Due {uk_date(item.due_on)}",
                    link=f"/staff/policies/{item.document.lower()}",
                )
            )
    if PolicyDocPermission.POLICIES_MANAGE.value in held:
        late = {o.username for o in pending if o.overdue}
        if late:
            work.append(
                WorkItem(
                    "Staff overdue on acknowledging a policy",
                    Urgency.OVERDUE,
                    count=len(late),
                    link=OVERSIGHT,
                )
            )
        reviews = overdue.overdue_reviews(uow, today)
        if reviews:
            work.append(
                WorkItem(
                    "Policy sections overdue for review",
                    Urgency.OVERDUE,
                    count=len(reviews),
                    link=OVERSIGHT,
                )
            )
    return work
