"""Affected customers, the legal hold and the customer notice under
``/api/incidents/{reference}``.

- ``GET .../affected``: the customers listed (account references), the hold, the reads
  seen on high alert and the notice, for whoever may see the incident (404 otherwise, the
  look audited).
- ``POST .../affected`` (``{"customers": [...], "why": ...}``): list customers by account
  reference or e-mail address (the ISO; all or nothing).
- ``POST .../hold`` and ``POST .../hold/lift`` (``{"reason": ...}``): place or lift the
  legal hold on their data (the ISO; audited).
- ``POST .../customer-notices`` (the notice's words): send the breach notice to every
  affected customer not told yet and record the tracker as sent (the ISO; a second send
  with nobody left is a 409). ``POST .../customer-notices/not-required``: record the
  Art. 34(3) ground and the reasoning instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from klaremont.incidents import affected, affected_read, customer_notice, service
from klaremont.incidents.affected_schemas import (
    AffectedIn,
    AffectedOut,
    ExemptIn,
    HoldIn,
    NoticeIn,
)
from klaremont.incidents.permissions import IncidentPermission
from klaremont.incidents.web.api import Reference, Reporter, viewer_of
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/incidents", tags=["incidents"])
Manager = Annotated[StaffPrincipal, Depends(require(IncidentPermission.INCIDENTS_MANAGE))]


def _answer(uow: UowDep, staff: StaffPrincipal, reference: str) -> AffectedOut:
    view = affected_read.find_view(uow, viewer_of(staff), reference)
    finish(uow)
    return AffectedOut.of(view)


@router.get("/{reference}/affected", response_model=AffectedOut)
def get_affected(reference: Reference, staff: Reporter, uow: UowDep) -> AffectedOut:
    """The affected customers, the legal hold, high alert and the customer notice."""
    return _answer(uow, staff, reference)


@router.post("/{reference}/affected", response_model=AffectedOut)
def add_affected(
    reference: Reference, body: AffectedIn, staff: Manager, uow: UowDep
) -> AffectedOut:
    """List customers as affected, by account reference or e-mail address (the ISO)."""
    incident = service.find(uow, viewer_of(staff), reference)
    affected.add(uow, viewer_of(staff), incident, "\n".join(body.customers), body.why)
    return _answer(uow, staff, incident.reference)


@router.post("/{reference}/hold", response_model=AffectedOut)
def place_hold(reference: Reference, body: HoldIn, staff: Manager, uow: UowDep) -> AffectedOut:
    """Place the legal hold on the affected customers' data (the ISO)."""
    incident = service.find(uow, viewer_of(staff), reference)
    affected.place_hold(uow, viewer_of(staff), incident, body.reason)
    return _answer(uow, staff, incident.reference)


@router.post("/{reference}/hold/lift", response_model=AffectedOut)
def lift_hold(reference: Reference, body: HoldIn, staff: Manager, uow: UowDep) -> AffectedOut:
    """Lift the legal hold (the ISO)."""
    incident = service.find(uow, viewer_of(staff), reference)
    affected.lift_hold(uow, viewer_of(staff), incident, body.reason)
    return _answer(uow, staff, incident.reference)


@router.post("/{reference}/customer-notices", response_model=AffectedOut)
def send_notices(reference: Reference, body: NoticeIn, staff: Manager, uow: UowDep) -> AffectedOut:
    """Send the breach notice to each affected customer not told yet (the ISO)."""
    incident = service.find(uow, viewer_of(staff), reference)
    customer_notice.send(
        uow,
        viewer_of(staff),
        incident,
        customer_notice.NoticeText(body.nature, body.consequences, body.measures, body.late_reason),
    )
    return _answer(uow, staff, incident.reference)


@router.post("/{reference}/customer-notices/not-required", response_model=AffectedOut)
def notices_not_required(
    reference: Reference, body: ExemptIn, staff: Manager, uow: UowDep
) -> AffectedOut:
    """Record that the customers need not be told: the ground and the reasoning (the ISO)."""
    incident = service.find(uow, viewer_of(staff), reference)
    customer_notice.exempt(uow, viewer_of(staff), incident, body.ground, body.reasoning)
    return _answer(uow, staff, incident.reference)
