"""Work on an open case: logging actions, answering the preservation checklist, the ISO's
assessment for the ICO and the lessons learned (SP-IRP-CONTAIN, SP-IRP-EVIDENCE).

Team members and the ISO log actions and answer checklist steps on their incident (a
director or the DPO who is not on the team may read it, not act on it); the assessment and
the lessons learned are the ISO's. Every change is also an action-log entry, so the log is
the case's whole timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Outcome
from klaremont.detectors.free_text import optional, plain
from klaremont.errors import Conflict, PermissionDenied, ValidationFailed
from klaremont.incidents import log, service, workflow
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.models import SHORT_MAX, TEXT_MAX, IncidentChecklistTick
from klaremont.incidents.states import (
    ANSWER_WORDS,
    CHECKLIST_WORDS,
    OPEN_STATES,
    STATE_WORDS,
    TEAM_STATES,
    ActionKind,
    ChecklistAnswer,
    ChecklistItem,
)

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident, IncidentActionEntry
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

COUNT_MAX = 100_000_000


def require_open(incident: Incident) -> None:
    """A dismissed or closed case takes no more work."""
    if incident.state not in OPEN_STATES:
        raise Conflict(
            f"{incident.reference} is “{STATE_WORDS[incident.state]}”: nothing more can be added."
        )


def require_actor(uow: UnitOfWork, viewer: Viewer, incident: Incident) -> None:
    """The ISO, or someone sitting on the incident's team."""
    if viewer.may_act(service.members(uow, incident)):
        return
    reference, resource = incident.reference, log.resource_of(incident)
    uow.keep_only_refusal(
        lambda: uow.audit(
            IncidentAction.ACCESS_DENIED,
            Outcome.DENIED,
            resource=resource,
            details={"reference": reference, "why": "acting needs a seat on the team or the ISO"},
        )
    )
    raise PermissionDenied(f"Only the response team of {reference} and the ISO may act on it.")


def log_action(
    uow: UnitOfWork, viewer: Viewer, incident: Incident, kind: ActionKind, text: str
) -> IncidentActionEntry:
    """Append an action to the incident's log."""
    require_actor(uow, viewer, incident)
    require_open(incident)
    said = plain("text", text, max_length=TEXT_MAX, min_length=3)
    return log.append(uow, incident, kind, said)


def answer_step(  # noqa: PLR0917 - the case, the step and its answer
    uow: UnitOfWork,
    viewer: Viewer,
    incident: Incident,
    item: ChecklistItem,
    answer: ChecklistAnswer,
    note: str | None = None,
) -> IncidentChecklistTick:
    """Answer one preservation step (once: who and when are kept)."""
    require_actor(uow, viewer, incident)
    require_open(incident)
    said = optional("note", note, max_length=SHORT_MAX)
    if answer is ChecklistAnswer.NOT_APPLICABLE and said is None:
        raise ValidationFailed.single("note", "say why the step does not apply")
    done = uow.session.scalars(
        select(IncidentChecklistTick).where(
            IncidentChecklistTick.incident_id == incident.id, IncidentChecklistTick.item == item
        )
    ).first()
    if done is not None:
        raise Conflict(f"That step was already answered by {done.ticked_by}.")
    tick = IncidentChecklistTick(
        incident_id=incident.id,
        item=item,
        answer=answer,
        note=said,
        ticked_by=(uow.actor.label or uow.actor.id)[:64],
        ticked_at=uow.clock.now(),
    )
    uow.session.add(tick)
    uow.session.flush()
    words = f"Preservation step “{CHECKLIST_WORDS[item]}”: {ANSWER_WORDS[answer].lower()}"
    log.append(uow, incident, ActionKind.INVESTIGATION, f"{words}. {said}" if said else f"{words}.")
    return tick


@dataclass(frozen=True, slots=True)
class Assessment:
    """The ISO's assessment, as the ICO report needs it (Art. 33(3))."""

    people_categories: str | None = None
    people_count: int | None = None
    record_categories: str | None = None
    record_count: int | None = None
    consequences: str | None = None
    measures_proposed: str | None = None


def assess(uow: UnitOfWork, viewer: Viewer, incident: Incident, found: Assessment) -> Incident:
    """Record (or revise) the assessment; logged as an investigation entry."""
    workflow.require_manager(viewer, incident)
    require_open(incident)
    for name, count in (("people_count", found.people_count), ("record_count", found.record_count)):
        if count is not None and not 0 <= count <= COUNT_MAX:
            raise ValidationFailed.single(name, f"must be a number from 0 to {COUNT_MAX:,}")
    incident.people_categories = optional(
        "people_categories", found.people_categories, max_length=SHORT_MAX
    )
    incident.people_count = found.people_count
    incident.record_categories = optional(
        "record_categories", found.record_categories, max_length=SHORT_MAX
    )
    incident.record_count = found.record_count
    incident.consequences = optional("consequences", found.consequences, max_length=TEXT_MAX)
    incident.measures_proposed = optional(
        "measures_proposed", found.measures_proposed, max_length=TEXT_MAX
    )
    uow.session.flush()
    log.append(uow, incident, ActionKind.INVESTIGATION, "Assessment for the ICO report updated.")
    uow.audit(
        IncidentAction.ASSESSED,
        resource=log.resource_of(incident),
        details={
            "reference": incident.reference,
            "people": found.people_count,
            "records": found.record_count,
        },
    )
    return incident


def record_lessons(uow: UnitOfWork, viewer: Viewer, incident: Incident, text: str) -> Incident:
    """The lessons learned (needed to close); the ISO's, once the team has worked."""
    workflow.require_manager(viewer, incident)
    if incident.state not in TEAM_STATES:
        raise Conflict(
            f"{incident.reference} is “{STATE_WORDS[incident.state]}”: lessons are recorded "
            "once the team has worked on it, before it closes."
        )
    said = plain("lessons_learned", text, max_length=TEXT_MAX, min_length=10)
    incident.lessons_learned = said
    incident.lessons_by = (uow.actor.label or uow.actor.id)[:64]
    incident.lessons_at = uow.clock.now()
    uow.session.flush()
    log.append(uow, incident, ActionKind.DECISION, f"Lessons learned: {said}")
    return incident
