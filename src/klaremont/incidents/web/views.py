"""What the incident pages show, as plain values, and drawing the case page.

The case is read through the services (:mod:`klaremont.incidents.read`), so a page and the
API show the same thing; the team form's choices come from the seat rule over the staff
directory. Times read as UK wall-clock time with GMT or BST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.incidents import appoint, clocks, read, service
from klaremont.incidents.ports import PluggedDirectory
from klaremont.incidents.states import (
    ACTION_WORDS,
    ANSWER_WORDS,
    CHECKLIST_WORDS,
    IcoPhase,
    IncidentState,
    Recipient,
)
from klaremont.incidents.team import SEAT_WORDS, SEATS
from klaremont.web.render import render

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse

    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork
    from klaremont.staff.web.principal import StaffPrincipal
    from klaremont.web.form_pages import PageStaff

    Staff = StaffPrincipal | PageStaff | None

LABELS: dict[str, dict[str, str]] = {
    "dismiss": {"reason": "Why it is not an incident"},
    "team": {f"seat_{seat.value}": SEAT_WORDS[seat] for seat in SEATS},
    "actions": {"kind": "Kind of action", "text": "What was done"},
    "checklist": {"item": "Preservation step", "answer": "Answer", "note": "Note"},
    "notify": {
        "recipient": "Party",
        "decision": "Decision",
        "sent_at": "When it was sent (UK time)",
        "their_reference": "Their reference",
        "reasoning": "Why it is not required",
        "late_reason": "Why it was late",
        "phase": "Report",
    },
    "assessment": {
        "people_categories": "Categories of people concerned",
        "people_count": "About how many people",
        "record_categories": "Categories of records concerned",
        "record_count": "About how many records",
        "consequences": "Likely consequences",
        "measures_proposed": "Measures proposed",
    },
    "lessons": {"text": "Lessons learned"},
}
DONE_WORDS = {
    "investigating": "Initial investigation started.",
    "dismissed": "Dismissed: the reason is on record.",
    "team_activated": "Response team appointed and activated.",
    "contained": "Marked as contained.",
    "recovered": "Marked as recovered.",
    "closed": "Closed.",
    "team": "Team appointment recorded.",
    "action": "Action logged.",
    "step": "Preservation step answered.",
    "decided": "Notification decision recorded.",
    "assessed": "Assessment saved.",
    "lessons": "Lessons learned recorded.",
}
MOVE_WORDS = {
    IncidentState.INVESTIGATING: "Start the initial investigation",
    IncidentState.CONTAINED: "Mark as contained",
    IncidentState.RECOVERED: "Mark as recovered",
    IncidentState.CLOSED: "Close the incident",
}
#: the form route of each plain move
MOVE_ROUTES = {
    IncidentState.INVESTIGATING: "investigate",
    IncidentState.CONTAINED: "contain",
    IncidentState.RECOVERED: "recover",
    IncidentState.CLOSED: "close",
}


@dataclass(frozen=True)
class Choice:
    """One person offered for a seat."""

    username: str
    label: str
    chosen: bool


def team_choices(uow: UnitOfWork, viewer: Viewer, reference: str) -> dict[str, list[Choice]]:
    """Each seat's eligible people for the ISO's form, the current or proposed one chosen."""
    incident = service.find(uow, viewer, reference)
    proposal = appoint.proposal(viewer, incident, PluggedDirectory(uow))
    seated = appoint.seats_of(uow, incident)
    choices: dict[str, list[Choice]] = {}
    for seat in SEATS:
        current = seated[seat].username if seat in seated else None
        pick = proposal.picks[seat]
        wanted = current or (pick.username if pick else None)
        choices[seat.value] = [
            Choice(
                p.username,
                f"{p.full_name} ({p.username})" + (f", {p.job_title}" if p.job_title else ""),
                p.username == wanted,
            )
            for p in proposal.options[seat]
        ]
    return choices


def page_view(uow: UnitOfWork, viewer: Viewer, reference: str) -> dict[str, Any]:
    """The case and, for the ISO, the team form's choices."""
    incident = service.find(uow, viewer, reference)
    case = read.case_of(uow, viewer, incident)
    choices = None
    if viewer.manages and incident.state in appoint.APPOINTABLE:
        choices = team_choices(uow, viewer, reference)
    return {"case": case, "choices": choices}


def draw_case(
    staff: Staff,
    reference: str,
    view: dict[str, Any] | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    only: str | None = None,
) -> HTMLResponse:
    """The case page; ``only`` draws just one form (the case could not be read)."""
    return render(
        "staff/incident_case.html",
        status_code=status_code,
        staff=staff,
        reference=reference,
        case=view["case"] if view else None,
        choices=view["choices"] if view else None,
        error=error,
        notice=notice,
        only=only,
        labels=LABELS,
        seats=[(seat.value, SEAT_WORDS[seat]) for seat in SEATS],
        action_words={k.value: v for k, v in ACTION_WORDS.items()},
        answer_words={k.value: v for k, v in ANSWER_WORDS.items()},
        step_words={k.value: v for k, v in CHECKLIST_WORDS.items()},
        recipients=[r.value for r in Recipient],
        phases={
            IcoPhase.COMPLETE.value: "The complete report",
            IcoPhase.INITIAL.value: "An initial report, more to follow",
        },
        move_words={k.value: v for k, v in MOVE_WORDS.items()},
        move_routes={k.value: v for k, v in MOVE_ROUTES.items()},
        uk_when=clocks.uk_when,
        uk_short=clocks.uk_short,
    )


def said(exc: KlaremontError, labels: dict[str, str]) -> str:
    """A service refusal in words; bad input names each form field by its label."""
    if exc.problems and isinstance(exc, ValidationFailed):
        return "; ".join(
            f"{labels.get(p.field) or p.field.replace('_', ' ').capitalize()}: {p.rule}"
            for p in exc.problems
        )
    return exc.detail
