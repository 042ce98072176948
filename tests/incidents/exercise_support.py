"""Running an exercise of the response plan to its close through the services, as the ISO
and the team would (the API walk of the same path is ``test_incident_exercise``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from incidents_support import PEOPLE, TEAM, member

from klaremont.incidents import appoint, casework, notify, reports, service, workflow
from klaremont.incidents.ports import StaticDirectory
from klaremont.incidents.states import (
    ActionKind,
    ChecklistAnswer,
    ChecklistItem,
    Decision,
    IncidentKind,
    IncidentState,
    Involvement,
    Recipient,
)
from klaremont.incidents.team import Seat
from klaremont.incidents.visibility import Viewer

if TYPE_CHECKING:
    from klaremont.platform import Platform

ISO = Viewer("ivy", frozenset({"incidents:report", "incidents:read", "incidents:manage"}))
SCENARIO = "Exercise: the web server sends order data to an unknown address at night."


def start_exercise(platform: Platform) -> str:
    """The ISO starts an exercise; returns its reference."""
    with platform.unit_of_work() as uow:
        made = service.report(
            uow,
            service.NewReport(
                IncidentKind.SYSTEM_COMPROMISE,
                SCENARIO,
                Involvement.YES,
                Involvement.UNSURE,
                exercise=True,
            ),
            ISO,
        )
        return made.reference


def run_to_close(platform: Platform, reference: str, *, reports_too: bool = True) -> None:
    """Every step the plan asks for, then close (members' reports unless told not to)."""
    directory = StaticDirectory([member(name) for name in PEOPLE])
    with platform.unit_of_work() as uow:
        incident = service.find(uow, ISO, reference)
        workflow.move(uow, ISO, incident, IncidentState.INVESTIGATING)
        appoint.activate(uow, ISO, incident, {Seat(s): u for s, u in TEAM.items()}, directory)
        casework.log_action(uow, ISO, incident, ActionKind.CONTAINMENT, "Isolated, running.")
        for item in ChecklistItem:
            casework.answer_step(uow, ISO, incident, item, ChecklistAnswer.DONE, None)
        workflow.move(uow, ISO, incident, IncidentState.CONTAINED)
        workflow.move(uow, ISO, incident, IncidentState.RECOVERED)
        for recipient in Recipient:
            notify.decide(
                uow,
                ISO,
                incident,
                notify.NotificationDecision(
                    recipient, Decision.NOT_REQUIRED, reasoning="Exercise: no real breach."
                ),
            )
        casework.record_lessons(uow, ISO, incident, "The runbook needed one correction.")
        if reports_too:
            for username in TEAM.values():
                writer = Viewer(username, frozenset({"incidents:report"}))
                reports.submit(uow, writer, incident, f"What {username} did in the exercise.")
        workflow.move(uow, ISO, incident, IncidentState.CLOSED)
