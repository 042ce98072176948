"""The printable timeline of an incident: the whole case on paper (SP-IRP-EVIDENCE "log all
actions", SP-IRP-NOTIFY, Art. 33(5) "document every breach").

One report, two ways out: the console page (``/staff/incidents/{reference}/timeline``,
inside the console frame, printable: the frame and the links drop away on paper) and a
self-contained HTML file (``klaremont incidents report-html``, styles inline, nothing
fetched). Both draw the same body (``incident_timeline_body.html``) from the same plain
values: the facts and the assessment, the team, the notification decisions, the
preservation checklist, the action log (every action, state change, appointment and
decision, numbered and timed), the evidence manifest with each file's SHA-256 and chain of
custody, and whether each member's written report is in (never its text). Producing it is
audited (``incident.timeline_produced``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from klaremont.incidents import casefile_read, clocks, log, read, reports
from klaremont.incidents.actions import IncidentAction

if TYPE_CHECKING:
    from klaremont.incidents.casefile_read import EvidenceView
    from klaremont.incidents.models import Incident
    from klaremont.incidents.read import CaseView
    from klaremont.incidents.reports import SeatReport
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

FILE_TEMPLATE = "incident_timeline_file.html"
BODY_TEMPLATE = "incident_timeline_body.html"


@dataclass(frozen=True, slots=True)
class Timeline:
    """Everything the printable report shows."""

    reference: str
    case: CaseView
    evidence: list[EvidenceView]
    reports: list[SeatReport]
    ico_deadline: datetime
    produced_at: datetime
    produced_by: str


def build(uow: UnitOfWork, viewer: Viewer, incident: Incident, *, via: str) -> Timeline:
    """The report of ``incident`` (the viewer already may see it); its production audited."""
    case = read.case_of(uow, viewer, incident)
    found = Timeline(
        reference=incident.reference,
        case=case,
        evidence=casefile_read.manifest(uow, incident),
        reports=reports.status(uow, incident),
        ico_deadline=clocks.ico_deadline(
            incident.aware_at, uow.policy.breach.notify_authority_hours
        ),
        produced_at=uow.clock.now(),
        produced_by=uow.actor.label or uow.actor.id,
    )
    uow.audit(
        IncidentAction.TIMELINE_PRODUCED,
        resource=log.resource_of(incident),
        details={
            "reference": incident.reference,
            "via": via,
            "entries": len(case.log),
            "evidence": len(found.evidence),
        },
    )
    return found


def context(timeline: Timeline) -> dict[str, Any]:
    """What the body template reads (the same on the page and in the file)."""
    return {"t": timeline, "uk_when": clocks.uk_when, "uk_short": clocks.uk_short}


_ENV = Environment(
    loader=PackageLoader("klaremont.incidents", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def to_html(timeline: Timeline) -> str:
    """The report as one self-contained HTML document (styles inline, nothing fetched)."""
    return _ENV.get_template(FILE_TEMPLATE).render(**context(timeline))
