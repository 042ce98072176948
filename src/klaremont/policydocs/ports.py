"""What policy documents need from elsewhere, through extension points (no staff tables read):

- ``incident_staff``: who works here now (active regular accounts with their roles), the
  staff capability's directory: everyone on it must acknowledge each document;
- ``staff_mail``: a notice to named members of staff (an acknowledgement reminder);
- ``role_mail``: a notice to every holder of a role (a section owner's review reminder).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from klaremont import capabilities

if TYPE_CHECKING:
    from collections.abc import Iterable

    from klaremont.platform import UnitOfWork

DIRECTORY_POINT = "incident_staff"
STAFF_MAIL_POINT = "staff_mail"
ROLE_MAIL_POINT = "role_mail"


@dataclass(frozen=True, slots=True)
class Member:
    """A member of staff as this capability sees them: username and roles."""

    username: str
    roles: frozenset[str]


def directory_plugged() -> bool:
    """Whether any capability says who works here."""
    return bool(capabilities.extensions(DIRECTORY_POINT))


def active_staff(uow: UnitOfWork) -> list[Member]:
    """Every active member of staff, by username."""
    found: dict[str, set[str]] = {}
    for provider in capabilities.extensions(DIRECTORY_POINT):
        people: Iterable[Any] = provider(uow)
        for person in people:
            found.setdefault(str(person.username), set()).update(
                str(r) for r in getattr(person, "roles", ()) or ()
            )
    return [Member(name, frozenset(found[name])) for name in sorted(found)]


def mail_staff(uow: UnitOfWork, usernames: list[str], subject_line: str, body: str) -> int:
    """Queue a notice to each named, active member of staff; how many were queued."""
    return sum(
        int(send(uow, usernames, subject_line, body))
        for send in capabilities.extensions(STAFF_MAIL_POINT)
    )


def mail_role(uow: UnitOfWork, role: str, subject_line: str, body: str) -> int:
    """Queue a notice to every active holder of ``role``; how many were queued."""
    return sum(
        int(send(uow, role, subject_line, body))
        for send in capabilities.extensions(ROLE_MAIL_POINT)
    )
