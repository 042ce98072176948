"""The ISO appoints the response team and activates it (SP-IRT, SP-IRT-MEMBERS).

The seat rule (:mod:`klaremont.incidents.team`) runs over the staff directory
(:mod:`klaremont.incidents.ports`): :func:`proposal` gives each seat's eligible people and the
default picks; :func:`activate` takes the ISO's explicit choice per seat, checks it
(eligible, active, one seat each), records the seats, logs the appointment and moves the
case to "team activated". A seat nobody can fill refuses activation, naming the seat.
The ISO may later replace someone (the change is logged).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.errors import FieldProblem
from klaremont.incidents import log, workflow
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.models import IncidentSeat
from klaremont.incidents.states import TEAM_STATES, ActionKind, IncidentState
from klaremont.incidents.team import SEAT_WORDS, SEATS, Proposal, Seat, check_team, propose

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident
    from klaremont.incidents.ports import StaffDirectory
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

APPOINTABLE = frozenset({IncidentState.INVESTIGATING, *TEAM_STATES})


def proposal(viewer: Viewer, incident: Incident, directory: StaffDirectory) -> Proposal:
    """Each seat's eligible people and the rule's default picks (the ISO's view)."""
    workflow.require_manager(viewer, incident)
    return propose(directory.active())


def seats_of(uow: UnitOfWork, incident: Incident) -> dict[Seat, IncidentSeat]:
    """The appointed seats, by seat."""
    rows = uow.session.scalars(select(IncidentSeat).where(IncidentSeat.incident_id == incident.id))
    return {row.seat: row for row in rows}


def _problems(
    appointed: Mapping[Seat, str | None], directory: StaffDirectory
) -> list[FieldProblem]:
    people = directory.active()
    options = propose(people).options
    found: list[FieldProblem] = []
    for seat, what in check_team(appointed, people):
        nobody = what == "nobody appointed" and not options[seat]
        said = "nobody on the staff can fill this seat" if nobody else what
        found.append(FieldProblem(f"team.{seat.value}", f"{SEAT_WORDS[seat]}: {said}"))
    return found


def appoint(
    uow: UnitOfWork,
    viewer: Viewer,
    incident: Incident,
    appointed: Mapping[Seat, str | None],
    directory: StaffDirectory,
) -> dict[Seat, IncidentSeat]:
    """Record the ISO's choice for every seat (all five, checked); refused naming each seat."""
    workflow.require_manager(viewer, incident)
    if incident.state not in APPOINTABLE:
        problem = FieldProblem(
            "team", "a team is appointed during the investigation or while it works"
        )
        raise workflow.refuse(uow, incident, IncidentState.TEAM_ACTIVATED, [problem])
    problems = _problems(appointed, directory)
    if problems:
        raise workflow.refuse(uow, incident, IncidentState.TEAM_ACTIVATED, problems)
    people = {person.username: person for person in directory.active()}
    now = uow.clock.now()
    by = (uow.actor.label or uow.actor.id)[:64]
    current = seats_of(uow, incident)
    changed: list[str] = []
    for seat in SEATS:
        person = people[str(appointed[seat])]
        row = current.get(seat)
        if row is not None and row.username == person.username:
            continue
        if row is None:
            row = IncidentSeat(incident_id=incident.id, seat=seat)
            uow.session.add(row)
        row.username, row.full_name = person.username, person.full_name[:200]
        row.appointed_at, row.appointed_by = now, by
        changed.append(f"{SEAT_WORDS[seat]}: {person.full_name} ({person.username})")
    uow.session.flush()
    if changed:
        log.append(
            uow, incident, ActionKind.DECISION, "Team appointed. " + "; ".join(changed) + "."
        )
        uow.audit(
            IncidentAction.TEAM_APPOINTED,
            resource=log.resource_of(incident),
            details={
                "reference": incident.reference,
                "seats": {s.value: str(appointed[s]) for s in SEATS},
            },
        )
    return seats_of(uow, incident)


def activate(
    uow: UnitOfWork,
    viewer: Viewer,
    incident: Incident,
    appointed: Mapping[Seat, str | None],
    directory: StaffDirectory,
) -> Incident:
    """Appoint the team and activate it (from the initial investigation)."""
    workflow.require_manager(viewer, incident)
    if incident.state is not IncidentState.INVESTIGATING:
        return workflow.move(uow, viewer, incident, IncidentState.TEAM_ACTIVATED)  # refused, named
    appoint(uow, viewer, incident, appointed, directory)
    return workflow.move(uow, viewer, incident, IncidentState.TEAM_ACTIVATED)
