"""Incidents under ``/api/incidents``: report one, list and read those you may see.

Anyone signed in may report (``incidents:report``); what a caller may see is decided by the
service (:mod:`klaremont.incidents.visibility`): the ISO, directors and the DPO every
incident, anyone else the incidents whose team they sit on. An incident one may not see
answers 404, and the look is audited. The case's actions are in
:mod:`klaremont.incidents.web.api_case`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from klaremont.incidents import clocks, ico_report, read, service
from klaremont.incidents.permissions import IncidentPermission
from klaremont.incidents.schemas import CaseOut, IcoDraftOut, ReportedOut, ReportIn, RowOut
from klaremont.incidents.states import IncidentState
from klaremont.incidents.visibility import Viewer
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/incidents", tags=["incidents"])

Reporter = Annotated[StaffPrincipal, Depends(require(IncidentPermission.INCIDENTS_REPORT))]
Reference = Annotated[str, Path(min_length=1, max_length=20, description="e.g. INC-2026-0001")]


def viewer_of(staff: StaffPrincipal) -> Viewer:
    """The service's view of the signed-in member of staff."""
    return Viewer.of(staff.username, staff.permissions)


@router.post("", response_model=ReportedOut, status_code=201)
def report_incident(body: ReportIn, staff: Reporter, uow: UowDep) -> ReportedOut:
    """Report a suspected incident: the ISO is alerted at once and the clock starts."""
    made = service.report(
        uow,
        service.NewReport(
            kind=body.kind,
            what_happened=body.what_happened,
            personal_data=body.personal_data,
            card_data=body.card_data,
            noticed_at=body.noticed_at,
            systems=body.systems,
            exercise=body.exercise,
        ),
        viewer_of(staff),
    )
    answer = ReportedOut(
        reference=made.reference,
        aware_at=made.aware_at,
        ico_deadline=clocks.ico_deadline(made.aware_at, uow.policy.breach.notify_authority_hours),
        iso_alerted=made.iso_alerted_at is not None,
    )
    finish(uow)
    return answer


@router.get("", response_model=list[RowOut])
def list_incidents(
    staff: Reporter,
    uow: UowDep,
    state: Annotated[
        IncidentState | None, Query(description="only incidents in this state")
    ] = None,
) -> list[RowOut]:
    """The incidents you may see, newest first."""
    found = service.visible(uow, viewer_of(staff), state=state)
    return [RowOut.of(read.row_of(uow, incident)) for incident in found]


@router.get("/{reference}", response_model=CaseOut)
def show_incident(reference: Reference, staff: Reporter, uow: UowDep) -> CaseOut:
    """One incident: the team, the checklist, the tracker and the action log."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    return CaseOut.of(read.case_of(uow, viewer, incident))


@router.get("/{reference}/ico-report", response_model=IcoDraftOut)
def ico_draft(reference: Reference, staff: Reporter, uow: UowDep) -> IcoDraftOut:
    """The ICO report drafted from the case (UK GDPR Art. 33(3)), with its gaps."""
    incident = service.find(uow, viewer_of(staff), reference)
    draft = ico_report.draft(uow, incident)
    return IcoDraftOut(
        reference=draft.reference,
        nature=draft.nature,
        what_happened=draft.what_happened,
        people_categories=draft.people_categories,
        people_count=draft.people_count,
        record_categories=draft.record_categories,
        record_count=draft.record_count,
        dpo=draft.dpo,
        consequences=draft.consequences,
        measures_taken=draft.measures_taken,
        measures_proposed=draft.measures_proposed,
        aware_at=draft.aware_at,
        deadline=draft.deadline_words,
        sent=draft.sent_words,
        late_reason=draft.late_reason,
        gaps=draft.gaps,
    )
