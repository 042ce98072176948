"""Incident test helpers: a staff directory plugged in as the staff side will plug it in,
signed-in clients of each kind of person, and small readers of what was recorded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont import capabilities
from klaremont.audit.models import AuditEvent
from klaremont.capabilities import Capability
from klaremont.incidents.team import StaffMember
from klaremont.mail.models import OutboxMessage
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork

PROVIDER = "incidents_test_directory"
#: What the test provider answers (a test may change it).
STAFF: list[StaffMember] = []
#: username -> (job role, job title, seniority): the people of the exercise
PEOPLE: dict[str, tuple[Role, str | None, int | None]] = {
    "ivy": (Role.ISO, "Information Security Officer", 4),
    "ted": (Role.ENGINEER, "Senior Engineer", 3),
    "tom": (Role.TECHNICAL_OPERATIONS, "Engineer", 5),  # more senior, not the titled one
    "dev": (Role.ENGINEER, "Software Developer", 2),
    "dora": (Role.DIRECTOR, "Managing Director", 6),
    "amy": (Role.SUPPORT_AGENT, "Account Manager", 2),
    "ollie": (Role.ENGINEER, "Engineer", 1),  # an engineer left off the team
    "sue": (Role.SUPPORT_AGENT, "Support Agent", 1),
    "mark": (Role.MARKETING, "Marketing Executive", 1),
    "dpo": (Role.DPO, "Data Protection Officer", 3),
    "dan": (Role.DIRECTOR, "Finance Director", 5),
}
TEAM = {
    "iso": "ivy",
    "senior_engineer": "ted",
    "development_manager": "dev",
    "director": "dora",
    "account_manager": "amy",
}


def active_staff(uow: UnitOfWork) -> list[StaffMember]:
    """The test provider of ``incident_staff``."""
    del uow
    return list(STAFF)


def member(username: str) -> StaffMember:
    role, title, seniority = PEOPLE[username]
    return StaffMember(
        username, f"{username.title()} Tester", frozenset({role.value}), title, seniority
    )


@contextmanager
def directory(people: list[StaffMember] | None = None) -> Iterator[list[StaffMember]]:
    """Plug the test directory in for the block."""
    STAFF[:] = people if people is not None else [member(name) for name in PEOPLE]
    capabilities.register(
        Capability(
            name=PROVIDER,
            summary="test staff directory",
            package="incidents_support",
            extensions=(("incident_staff", "incidents_support:active_staff"),),
        )
    )
    try:
        yield STAFF
    finally:
        capabilities.unregister(PROVIDER)
        STAFF.clear()


def make_people(platform: Platform) -> None:
    """A staff account for each person of the exercise."""
    for username, (role, _, _) in PEOPLE.items():
        make_staff(platform, username, role)


def events(platform: Platform, action: str) -> list[AuditEvent]:
    with platform.unit_of_work() as uow:
        found = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        uow.session.expunge_all()
    return found


def mails(platform: Platform) -> list[tuple[str, str, str]]:
    """(to, subject, body) of every role notice queued."""
    with platform.unit_of_work() as uow:
        return [
            (m.to_address, m.subject_line, m.body)
            for m in uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == "role_notice")
            )
        ]


REPORT: dict[str, Any] = {
    "kind": "system_compromise",
    "what_happened": "The web server is sending data to an unknown address at night.",
    "personal_data": "yes",
    "card_data": "unsure",
    "systems": "web-01",
}
