"""Who is overdue: acknowledgements of the current versions (DP-AWARE) and section reviews
(DP-REVIEW).

Every active member of staff acknowledges the current version of each document within
:data:`ACK_DAYS` of its effective date (the policy file sets no period for this; thirty
days is the platform's). A section is overdue for review the day after its next-review
date. Both lists are read by the DPO's and the ISO's page, their work lists, the daily
reminders and the live checks, so they all say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.policydocs import ports, service
from klaremont.policydocs.models import PolicyAcknowledgement, PolicySection

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.policydocs.models import PolicyDocumentVersion

#: days after a version's effective date within which everyone acknowledges it
ACK_DAYS = 30


def ack_due(version: PolicyDocumentVersion) -> date:
    """The last day to acknowledge ``version``."""
    return version.effective_on + timedelta(days=ACK_DAYS)


@dataclass(frozen=True, slots=True)
class Outstanding:
    """One member of staff who has not acknowledged one document's current version."""

    username: str
    document: str
    title: str
    label: str
    due_on: date
    overdue: bool


def outstanding(uow: UnitOfWork, today: date | None = None) -> list[Outstanding]:
    """Every (person, document) without an acknowledgement of the current version."""
    today = today or uow.clock.now().date()
    staff = ports.active_staff(uow)
    found: list[Outstanding] = []
    for key in service.current_all(uow):
        version = service.current(uow, key, today)
        if version is None:
            continue
        done = set(
            uow.session.scalars(
                select(PolicyAcknowledgement.username).where(
                    PolicyAcknowledgement.version_id == version.id
                )
            )
        )
        due = ack_due(version)
        found.extend(
            Outstanding(m.username, key, version.title, version.label, due, today > due)
            for m in staff
            if m.username not in done
        )
    return sorted(found, key=lambda o: (not o.overdue, o.due_on, o.username, o.document))


def overdue_acknowledgements(uow: UnitOfWork, today: date | None = None) -> list[Outstanding]:
    """Those past the acknowledgement period."""
    return [o for o in outstanding(uow, today) if o.overdue]


def overdue_reviews(uow: UnitOfWork, today: date | None = None) -> list[PolicySection]:
    """Sections whose next-review date has passed, most overdue first."""
    today = today or uow.clock.now().date()
    return list(
        uow.session.scalars(
            select(PolicySection)
            .where(PolicySection.next_review_on < today)
            .order_by(PolicySection.next_review_on, PolicySection.number)
        )
    )


def reviews_due_soon(
    uow: UnitOfWork, within_days: int, today: date | None = None
) -> list[PolicySection]:
    """Sections due for review within ``within_days`` (not yet overdue)."""
    today = today or uow.clock.now().date()
    return list(
        uow.session.scalars(
            select(PolicySection)
            .where(
                PolicySection.next_review_on >= today,
                PolicySection.next_review_on <= today + timedelta(days=within_days),
            )
            .order_by(PolicySection.next_review_on, PolicySection.number)
        )
    )
