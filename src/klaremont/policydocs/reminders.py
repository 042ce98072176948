"""The ``policy-reminders`` job: mail who is overdue, once per period.

Every day it looks at the overdue lists (:mod:`klaremont.policydocs.overdue`). Each member
of staff overdue on an acknowledgement is sent one notice naming the documents (through the
``staff_mail`` point); each role owning a section overdue for review is sent one notice
naming the sections (through ``role_mail``). The period is the ISO week: a reminder row,
unique per kind, target and week, makes a second run in the same week (or a second worker)
send nothing again, and the person is reminded the next week if still overdue. Notices
carry document and section names and dates only, never anyone's personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.display import uk_date
from klaremont.policydocs import overdue, ports
from klaremont.policydocs.actions import PolicyDocAction
from klaremont.policydocs.models import PolicyReminder

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork

JOB_ACTOR = Actor(ActorType.SYSTEM, "job:policy-reminders", "Policy reminders (scheduled job)")
ACKNOWLEDGE = "acknowledge"
REVIEW = "review"
ROLE_WORDS = {
    "dpo": "Data Protection Officer",
    "iso": "Information Security Officer",
    "director": "Directors",
}


def period_of(day: date) -> str:
    """The reminder period a day falls in: its ISO week (``2026-W49``)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class Sent:
    """What one run sent."""

    acknowledgement_notices: int
    review_notices: int
    messages: int


def _first_time(uow: UnitOfWork, kind: str, target: str, period: str) -> bool:
    """Claim the reminder for this period; ``False`` when it was sent already."""
    done = uow.session.scalars(
        select(PolicyReminder.id).where(
            PolicyReminder.kind == kind,
            PolicyReminder.target == target,
            PolicyReminder.period == period,
        )
    ).first()
    if done is not None:
        return False
    uow.session.add(
        PolicyReminder(kind=kind, target=target, period=period, sent_at=uow.clock.now())
    )
    uow.session.flush()
    return True


def send(uow: UnitOfWork) -> Sent:
    """Send this period's reminders not sent yet."""
    today = uow.clock.now().date()
    period = period_of(today)
    people: dict[str, list[overdue.Outstanding]] = {}
    for item in overdue.overdue_acknowledgements(uow, today):
        people.setdefault(item.username, []).append(item)
    ack_notices = messages = 0
    for username, items in sorted(people.items()):
        if not _first_time(uow, ACKNOWLEDGE, username, period):
            continue
        lines = "\n".join(
            f"  - {i.title}, version {i.label} (due {uk_date(i.due_on)})" for i in items
        )
        body = (
            "Hello,\n\nPlease read and acknowledge the current version of:\n\n"
            f"{lines}\n\nOpen Policies in the staff console and press Acknowledge at the end "
            "of each document.\n\nKlaremont"
        )
        messages += ports.mail_staff(uow, [username], "Policies to acknowledge", body)
        ack_notices += 1
    owners: dict[str, list[str]] = {}
    for section in overdue.overdue_reviews(uow, today):
        owners.setdefault(section.owner_role, []).append(
            f"  - {section.number} {section.heading} (review was due "
            f"{uk_date(section.next_review_on)})"
        )
    review_notices = 0
    for role, owned in sorted(owners.items()):
        if not _first_time(uow, REVIEW, role, period):
            continue
        body = (
            "Hello,\n\nThese policy sections you own are overdue for review:\n\n"
            + "\n".join(owned)
            + "\n\nReview each and record it: klaremont policydocs review SECTION --by NAME."
            "\n\nKlaremont"
        )
        messages += ports.mail_role(uow, role, "Policy sections overdue for review", body)
        review_notices += 1
    if ack_notices or review_notices:
        uow.audit(
            PolicyDocAction.REMINDED,
            resource="policy-reminders",
            details={
                "period": period,
                "acknowledgement_notices": ack_notices,
                "review_notices": review_notices,
                "messages": messages,
            },
        )
    return Sent(ack_notices, review_notices, messages)


def run(platform: Platform) -> str:
    """The daily job: one line saying what was sent."""
    with platform.unit_of_work(actor=JOB_ACTOR) as uow:
        sent = send(uow)
    return (
        f"policy reminders: {sent.acknowledgement_notices} acknowledgement and "
        f"{sent.review_notices} review notice(s), {sent.messages} message(s) queued"
    )
