"""The staff capability's part of the console home (extension point ``my_work``).

- the access review to sign (``staff:review-signoff``: the ISO) and the accounts it flags
  (``staff:review``: the ISO and directors), from the review service the page uses;
- remote-access grants waiting for this person's approval (as the grantee's line
  manager, or ``remote:approve``: technical operations), as ``GET /api/auth/remote-grants``
  lists them, linked to the remote-access page where they are approved; for
  :data:`klaremont.work.SYSTEM_ACCOUNT` (the metrics) every grant still missing an approval;
- accounts locked in the last day and still locked (``staff:unlock``: the ISO and
  technical operations), linked to the staff list's locked accounts, where each account's
  page unlocks it.

Counts and dates only: no names, no usernames.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from klaremont.staff import lockout, service_remote, service_review
from klaremont.staff.permissions import StaffPermission
from klaremont.staff.service_accounts import get_account
from klaremont.work import SYSTEM_ACCOUNT, Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "Staff accounts"
REVIEW = "/staff/access-review"
REMOTE = "/staff/remote-access"
REVIEW_DUE_SOON = timedelta(days=14)
LOCKED_WITHIN = timedelta(days=1)
LOCKED_LIST = "/staff/people?status=locked"


def _review(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    signs = StaffPermission.STAFF_REVIEW_SIGNOFF in principal.permissions
    if not signs and StaffPermission.STAFF_REVIEW not in principal.permissions:
        return []
    report = service_review.build_report(uow)
    work: list[WorkItem] = []
    if signs:
        now = uow.clock.now()
        if report.next_due is None:
            work.append(
                WorkItem(
                    "Access review to sign", Urgency.OVERDUE, detail="never signed", link=REVIEW
                )
            )
        elif report.next_due <= now + REVIEW_DUE_SOON:
            late = report.next_due <= now
            work.append(
                WorkItem(
                    "Access review to sign",
                    Urgency.OVERDUE if late else Urgency.DUE,
                    detail=f"{'was ' if late else ''}due {report.next_due:%d/%m/%Y}",
                    link=REVIEW,
                )
            )
    if report.flagged:
        work.append(
            WorkItem(
                "Accounts flagged in the access review",
                Urgency.INFO,
                count=report.flagged,
                link=REVIEW,
            )
        )
    return work


def _remote(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    if principal.account_id == SYSTEM_ACCOUNT:  # the platform as a whole: every approval due
        waiting = service_remote.awaiting_approval(uow)
        title = "Remote-access requests waiting for approval"
    else:
        account = get_account(uow, principal.account_id)
        waiting = service_remote.pending_for(uow, account, principal.permissions)
        title = "Remote-access requests waiting for your approval"
    if not waiting:
        return []
    return [
        WorkItem(
            title,
            Urgency.DUE,
            count=len(waiting),
            link=REMOTE,
        )
    ]


def _locked(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    if StaffPermission.STAFF_UNLOCK not in principal.permissions:
        return []
    locked = lockout.locked_recently(uow, LOCKED_WITHIN)
    if not locked:
        return []
    readable = StaffPermission.STAFF_READ in principal.permissions
    return [
        WorkItem(
            "Accounts locked in the last day",
            Urgency.DUE,
            count=locked,
            detail="still locked; unlock one on its account page once the person is checked",
            link=LOCKED_LIST if readable else None,
        )
    ]


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """The staff work this person may do."""
    return [*_review(uow, principal), *_remote(uow, principal), *_locked(uow, principal)]
