"""Acting on an incident under ``/api/incidents/{reference}``.

Moving the case, the team, the notification decisions, the assessment and the lessons
learned are the ISO's (``incidents:manage``); logging an action and answering a
preservation step are open to the incident's team and the ISO (membership checked by the
service). A move that is not allowed yet answers 409 ``incident-transition-refused``
with ``detail`` saying what is missing and ``errors`` naming each missing thing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from klaremont.incidents import appoint, casework, notify, read, service, workflow
from klaremont.incidents.permissions import IncidentPermission
from klaremont.incidents.ports import PluggedDirectory
from klaremont.incidents.schemas import (
    ActionIn,
    AssessmentIn,
    CandidateOut,
    CaseOut,
    DecisionIn,
    EntryOut,
    LessonsIn,
    SeatProposalOut,
    StepIn,
    TeamIn,
    TransitionIn,
)
from klaremont.incidents.states import ACTION_WORDS, Decision, Recipient
from klaremont.incidents.team import SEAT_WORDS, SEATS
from klaremont.incidents.web.api import Reference, Reporter, viewer_of
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/incidents", tags=["incidents"])

Manager = Annotated[StaffPrincipal, Depends(require(IncidentPermission.INCIDENTS_MANAGE))]


def _case(uow: UowDep, staff: StaffPrincipal, reference: str) -> CaseOut:
    viewer = viewer_of(staff)
    return CaseOut.of(read.case_of(uow, viewer, service.find(uow, viewer, reference)))


@router.post("/{reference}/transition", response_model=CaseOut)
def transition(reference: Reference, body: TransitionIn, staff: Manager, uow: UowDep) -> CaseOut:
    """Move the case; refused (409) naming what is missing."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    workflow.move(uow, viewer, incident, body.to, body.reason)
    finish(uow)
    return _case(uow, staff, reference)


@router.get("/{reference}/team", response_model=list[SeatProposalOut])
def team_proposal(reference: Reference, staff: Manager, uow: UowDep) -> list[SeatProposalOut]:
    """Each seat's eligible people and the rule's default pick."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    found = appoint.proposal(viewer, incident, PluggedDirectory(uow))
    return [
        SeatProposalOut(
            seat=seat.value,
            seat_words=SEAT_WORDS[seat],
            proposed=pick.username if (pick := found.picks[seat]) else None,
            eligible=[
                CandidateOut(
                    username=p.username,
                    full_name=p.full_name,
                    job_title=p.job_title,
                    seniority=p.seniority,
                )
                for p in found.options[seat]
            ],
        )
        for seat in SEATS
    ]


@router.post("/{reference}/team", response_model=CaseOut)
def appoint_team(reference: Reference, body: TeamIn, staff: Manager, uow: UowDep) -> CaseOut:
    """Appoint every seat (and activate the team, unless ``activate`` is false)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    chosen = {seat: body.seats.get(seat) for seat in SEATS}
    if body.activate:
        appoint.activate(uow, viewer, incident, chosen, PluggedDirectory(uow))
    else:
        appoint.appoint(uow, viewer, incident, chosen, PluggedDirectory(uow))
    finish(uow)
    return _case(uow, staff, reference)


@router.post("/{reference}/actions", response_model=EntryOut, status_code=201)
def log_action(reference: Reference, body: ActionIn, staff: Reporter, uow: UowDep) -> EntryOut:
    """Append an action to the log (the team and the ISO)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    entry = casework.log_action(uow, viewer, incident, body.kind, body.text)
    answer = EntryOut(
        number=entry.number,
        kind=ACTION_WORDS[entry.kind],
        text=entry.text,
        actor=entry.actor_name,
        recorded_at=entry.recorded_at,
    )
    finish(uow)
    return answer


@router.post("/{reference}/checklist", response_model=CaseOut)
def answer_step(reference: Reference, body: StepIn, staff: Reporter, uow: UowDep) -> CaseOut:
    """Answer one preservation step (the team and the ISO)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    casework.answer_step(uow, viewer, incident, body.item, body.answer, body.note)
    finish(uow)
    return _case(uow, staff, reference)


@router.post("/{reference}/notifications/{recipient}", response_model=CaseOut)
def decide_notification(
    reference: Reference,
    recipient: Annotated[Recipient, Path(description="ico, customers, payment_provider or police")],
    body: DecisionIn,
    staff: Manager,
    uow: UowDep,
) -> CaseOut:
    """Record a party as told (when, their reference) or not required (with the reasoning)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    notify.decide(
        uow,
        viewer,
        incident,
        notify.NotificationDecision(
            recipient=recipient,
            decision=Decision(body.decision),
            sent_at=body.sent_at,
            their_reference=body.their_reference,
            reasoning=body.reasoning,
            late_reason=body.late_reason,
            phase=body.phase,
        ),
    )
    finish(uow)
    return _case(uow, staff, reference)


@router.put("/{reference}/assessment", response_model=CaseOut)
def assess(reference: Reference, body: AssessmentIn, staff: Manager, uow: UowDep) -> CaseOut:
    """The ISO's assessment for the ICO report (people, records, consequences, measures)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    casework.assess(uow, viewer, incident, casework.Assessment(**body.model_dump()))
    finish(uow)
    return _case(uow, staff, reference)


@router.post("/{reference}/lessons", response_model=CaseOut)
def lessons(reference: Reference, body: LessonsIn, staff: Manager, uow: UowDep) -> CaseOut:
    """The lessons learned (needed before the case closes)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    casework.record_lessons(uow, viewer, incident, body.text)
    finish(uow)
    return _case(uow, staff, reference)
