"""The response team's seats and who may fill them (SP-IRT, SP-IRT-MEMBERS): pure functions.

The policy's team "will always consist of" the Information Security Officer, the most
senior engineer available (in the absence of the Senior Engineer), the most senior
developer available (in the absence of the Development Manager), a company director and
an account manager. Who may sit where, from the plain values the staff directory gives
(:class:`StaffMember`: roles, job title, seniority):

- **ISO**: holds the ``iso`` role.
- **Senior engineer**: the person titled *Senior Engineer*; otherwise any engineer (the
  ``engineer`` or ``technical_operations`` role), the most senior first.
- **Development manager**: the person titled *Development Manager*; otherwise any
  developer (a job title naming a developer), the most senior first.
- **Director**: holds the ``director`` role, the most senior first.
- **Account manager**: a job title naming an account manager, the most senior first.

One person fills one seat: the policy names five positions. :func:`propose` fills as many
seats as any distinct choice can (a maximum matching), and among those, each seat in order
gets its most preferred candidate; a seat it leaves empty is one no choice could fill.
The ISO then appoints explicitly (:func:`check_team`), choosing among the eligible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Final


class Seat(StrEnum):
    """A place on the response team."""

    ISO = "iso"
    SENIOR_ENGINEER = "senior_engineer"
    DEVELOPMENT_MANAGER = "development_manager"
    DIRECTOR = "director"
    ACCOUNT_MANAGER = "account_manager"


SEATS: Final = tuple(Seat)
SEAT_WORDS: Final = {
    Seat.ISO: "Information Security Officer",
    Seat.SENIOR_ENGINEER: "Senior engineer (or the most senior engineer available)",
    Seat.DEVELOPMENT_MANAGER: "Development manager (or the most senior developer available)",
    Seat.DIRECTOR: "A company director",
    Seat.ACCOUNT_MANAGER: "An account manager",
}
ENGINEER_ROLES: Final = frozenset({"engineer", "technical_operations"})


@dataclass(frozen=True, slots=True)
class StaffMember:
    """An active member of staff as the directory describes them (plain values only)."""

    username: str
    full_name: str
    roles: frozenset[str]
    job_title: str | None = None
    seniority: int | None = None  # higher is more senior; None when not recorded


def _title(person: StaffMember) -> str:
    return " ".join((person.job_title or "").casefold().split())


def _is_engineer(person: StaffMember) -> bool:
    return bool(person.roles & ENGINEER_ROLES) or _title(person) == "senior engineer"


def _is_developer(person: StaffMember) -> bool:
    title = _title(person)
    return "developer" in title or title == "development manager"


ELIGIBLE: Final[dict[Seat, Callable[[StaffMember], bool]]] = {
    Seat.ISO: lambda p: "iso" in p.roles,
    Seat.SENIOR_ENGINEER: _is_engineer,
    Seat.DEVELOPMENT_MANAGER: _is_developer,
    Seat.DIRECTOR: lambda p: "director" in p.roles,
    Seat.ACCOUNT_MANAGER: lambda p: "account manager" in _title(p),
}
#: The title whose holder takes the seat before anyone more senior.
TITLE: Final[dict[Seat, str]] = {
    Seat.SENIOR_ENGINEER: "senior engineer",
    Seat.DEVELOPMENT_MANAGER: "development manager",
}
WHY_NOT: Final = {
    Seat.ISO: "does not hold the ISO role",
    Seat.SENIOR_ENGINEER: "is not an engineer",
    Seat.DEVELOPMENT_MANAGER: "is not a developer",
    Seat.DIRECTOR: "is not a company director",
    Seat.ACCOUNT_MANAGER: "is not an account manager",
}


def eligible(seat: Seat, person: StaffMember) -> bool:
    """Whether ``person`` may sit in ``seat``."""
    return ELIGIBLE[seat](person)


def preference(seat: Seat, person: StaffMember) -> tuple[int, int, str]:
    """Sort key: the seat's titled holder first, then the most senior, then by username."""
    titled = 0 if TITLE.get(seat) is not None and _title(person) == TITLE[seat] else 1
    senior = -(person.seniority if person.seniority is not None else -(10**9))
    return (titled, senior, person.username)


def candidates(people: Iterable[StaffMember]) -> dict[Seat, tuple[StaffMember, ...]]:
    """Each seat's eligible people, most preferred first."""
    everyone = list(people)
    found: dict[Seat, tuple[StaffMember, ...]] = {}
    for seat in SEATS:
        fitting = [person for person in everyone if eligible(seat, person)]
        fitting.sort(key=partial(preference, seat))
        found[seat] = tuple(fitting)
    return found


def _max_matching(
    seats: Sequence[Seat], options: Mapping[Seat, Sequence[StaffMember]], taken: frozenset[str]
) -> int:
    """How many of ``seats`` distinct people not in ``taken`` can fill (augmenting paths)."""
    holder: dict[str, Seat] = {}

    def place(seat: Seat, seen: set[str]) -> bool:
        for person in options[seat]:
            name = person.username
            if name in taken or name in seen:
                continue
            seen.add(name)
            if name not in holder or place(holder[name], seen):
                holder[name] = seat
                return True
        return False

    return sum(1 for seat in seats if place(seat, set()))


@dataclass(frozen=True, slots=True)
class Proposal:
    """The rule's default picks, each seat's candidates, and the seats nobody can fill."""

    picks: dict[Seat, StaffMember | None]
    options: dict[Seat, tuple[StaffMember, ...]]

    @property
    def empty(self) -> tuple[Seat, ...]:
        """Seats left empty, in seat order."""
        return tuple(seat for seat in SEATS if self.picks[seat] is None)


def propose(people: Iterable[StaffMember]) -> Proposal:
    """Fill as many seats as possible; within that, each seat its most preferred candidate."""
    options = candidates(people)
    picks: dict[Seat, StaffMember | None] = {}
    taken: frozenset[str] = frozenset()
    for index, seat in enumerate(SEATS):
        rest = SEATS[index + 1 :]
        best = _max_matching(SEATS[index:], options, taken)
        chosen = None
        for person in options[seat]:
            if person.username in taken:
                continue
            if 1 + _max_matching(rest, options, taken | {person.username}) == best:
                chosen = person
                break
        picks[seat] = chosen
        if chosen is not None:
            taken |= {chosen.username}
    return Proposal(picks, options)


def check_team(
    appointed: Mapping[Seat, str | None], people: Iterable[StaffMember]
) -> list[tuple[Seat, str]]:
    """Every problem with an appointment, as (seat, what is wrong); empty when it is sound."""
    by_name = {person.username: person for person in people}
    problems: list[tuple[Seat, str]] = []
    seen: dict[str, Seat] = {}
    for seat in SEATS:
        name = appointed.get(seat)
        if not name:
            problems.append((seat, "nobody appointed"))
            continue
        person = by_name.get(name)
        if person is None:
            problems.append((seat, f"{name} is not an active member of staff"))
            continue
        if not eligible(seat, person):
            problems.append((seat, f"{name} {WHY_NOT[seat]}"))
        if name in seen:
            problems.append((seat, f"{name} already sits as {SEAT_WORDS[seen[name]].lower()}"))
        seen.setdefault(name, seat)
    return problems
