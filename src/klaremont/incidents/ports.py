"""What incidents needs from elsewhere, named as ports: who works here (``incident_staff``).

The staff capability owns accounts, roles, job titles and seniority; incidents never reads
its tables. A capability plugs a provider into the extension point ``incident_staff``::

    extensions=(("incident_staff", "klaremont.staff.incident_staff:active_staff"),)

``active_staff(uow) -> Iterable[StaffMember-like]``: every *active* member of staff as plain
values (``username``, ``full_name``, ``roles`` as role names, ``job_title`` or ``None``,
``seniority`` as an int, higher is more senior, or ``None``). The provider may build
:class:`~klaremont.incidents.team.StaffMember` (this module and :mod:`~klaremont.incidents.team`
import nothing of staff) or return any object with those attributes.

Several providers are merged by username: roles are joined, and a job title or seniority
one leaves out is taken from another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from klaremont import capabilities
from klaremont.incidents.team import StaffMember

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

POINT = "incident_staff"


class StaffDirectory(Protocol):
    """Who is on the staff now (active accounts only)."""

    def active(self) -> list[StaffMember]:
        """Every active member of staff."""
        ...


class StaticDirectory:
    """A directory over a fixed list (tests, demo data, a command given the people)."""

    def __init__(self, people: Iterable[StaffMember]) -> None:
        self._people = list(people)

    def active(self) -> list[StaffMember]:
        """The list as given."""
        return list(self._people)


def _member(found: Any) -> StaffMember:
    roles = frozenset(str(role) for role in getattr(found, "roles", ()) or ())
    seniority = getattr(found, "seniority", None)
    title = getattr(found, "job_title", None)
    return StaffMember(
        username=str(found.username),
        full_name=str(getattr(found, "full_name", "") or found.username),
        roles=roles,
        job_title=str(title) if title else None,
        seniority=int(seniority) if seniority is not None else None,
    )


def merge(lists: Iterable[Iterable[Any]]) -> list[StaffMember]:
    """One list from several providers' answers, merged by username, sorted by username."""
    merged: dict[str, StaffMember] = {}
    for people in lists:
        for found in people:
            person = _member(found)
            known = merged.get(person.username)
            if known is None:
                merged[person.username] = person
                continue
            merged[person.username] = StaffMember(
                username=known.username,
                full_name=known.full_name or person.full_name,
                roles=known.roles | person.roles,
                job_title=known.job_title or person.job_title,
                seniority=known.seniority if known.seniority is not None else person.seniority,
            )
    return [merged[name] for name in sorted(merged)]


class PluggedDirectory:
    """The directory the ``incident_staff`` providers give, read in this unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def plugged(self) -> bool:
        """Whether any capability provides the directory."""
        return bool(capabilities.extensions(POINT))

    def active(self) -> list[StaffMember]:
        """Every active member of staff, from every provider."""
        providers: tuple[Callable[[UnitOfWork], Iterable[Any]], ...] = capabilities.extensions(
            POINT
        )
        return merge(provider(self._uow) for provider in providers)
