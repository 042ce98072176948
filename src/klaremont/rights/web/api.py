"""Data subject requests for staff and the DPO, under ``/api/rights`` (DP-DPO, DP-PROMPT).

Each route names its permission with ``require(Permission.X)``: reading needs ``dsr:read``,
recording a request taken by phone or letter ``dsr:log`` (support and the DPO), every
decision on one ``dsr:manage`` (the DPO), an erasure also ``customers:erase`` and a copy also
``customers:export`` (both sensitive: a recent password entry). Customers reach their
requests through the privacy centre pages, which call the same services with their own
ownership rule. Refusals that must stay on record (a duplicate, a wrong code, an erasure
blocked by an open access request) are audited and committed before the error goes out.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, NoReturn

from fastapi import APIRouter, Depends, Query, Response

from klaremont.clock import uk_date
from klaremont.customers.permissions import CustomerPermission
from klaremont.errors import KlaremontError
from klaremont.rights import changes, delivery, due, erasure, fulfil, intake, pauses, service
from klaremont.rights.access import HTML_CSP
from klaremont.rights.events import RightsEvent, audit_rights, request_resource
from klaremont.rights.identity import verification_failed
from klaremont.rights.permissions import RightsPermission
from klaremont.rights.schemas import (
    CodeIn,
    DecisionIn,
    DueOut,
    ErasureOut,
    ExtendIn,
    FulfilIn,
    FulfilmentOut,
    PauseIn,
    ReasonIn,
    RequestOut,
    StaffIntakeIn,
)
from klaremont.rights.states import RequestKind, RequestState
from klaremont.rights.web.views import reads_details
from klaremont.staff.permissions import Permission
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/rights", tags=["rights"])
P = Permission

Reader = Annotated[StaffPrincipal, Depends(require(RightsPermission.DSR_READ))]
Logger = Annotated[StaffPrincipal, Depends(require(RightsPermission.DSR_LOG))]
Manager = Annotated[StaffPrincipal, Depends(require(RightsPermission.DSR_MANAGE))]
Eraser = Annotated[
    StaffPrincipal,
    Depends(require(RightsPermission.DSR_MANAGE, CustomerPermission.CUSTOMERS_ERASE)),
]
Exporter = Annotated[
    StaffPrincipal, Depends(require(RightsPermission.DSR_READ, CustomerPermission.CUSTOMERS_EXPORT))
]
ONE_OF_FORMATS = "^(json|html|zip)$"


def _out(uow: UowDep, request_id: uuid.UUID, *, with_details: bool = False) -> RequestOut:
    request = service.get(uow, request_id)
    today = uk_date(uow.clock.now())
    details = service.details_of(request) if with_details else None
    if details:
        audit_rights(
            uow,
            RightsEvent.EXPORT_READ,
            resource=request_resource(request.id),
            details={"part": "request details", "by": "staff", "keys": sorted(details)},
        )
        finish(uow)
    return RequestOut.of(request, service.deadline_of(uow, request, today), today, details)


def _keep_and_raise(uow: UowDep, error: KlaremontError) -> NoReturn:
    finish(uow)
    raise error


@router.get("/requests", response_model=list[RequestOut])
def list_requests(
    _: Reader,
    uow: UowDep,
    state: RequestState | None = None,
    kind: RequestKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[RequestOut]:
    """Requests, soonest deadline first."""
    today = uk_date(uow.clock.now())
    return [
        RequestOut.of(r, service.deadline_of(uow, r, today), today)
        for r in service.list_requests(uow, state=state, kind=kind, limit=limit)
    ]


@router.post("/requests", response_model=RequestOut, status_code=201)
def create_request(body: StaffIntakeIn, _: Logger, uow: UowDep) -> RequestOut:
    """Record a request made by phone or letter; a code goes to the address on the account."""
    details = {"note": body.note} if body.note else None
    try:
        made = intake.submit_for_customer(
            uow, body.customer_reference, body.kind, body.channel, scope=body.scope, details=details
        )
    except service.DuplicateRequest as duplicate:
        uow.keep_only_refusal(partial(service.record_duplicate, uow, duplicate))
        raise
    finish(uow)
    return _out(uow, made.id)


@router.get("/requests/{request_id}", response_model=RequestOut)
def get_request(request_id: uuid.UUID, staff: Reader, uow: UowDep) -> RequestOut:
    """One request, with the requester's own details (their words, corrections asked for)
    for a reader whose roles hold the legal obligation they are read for (DP-PURPOSE)."""
    return _out(uow, request_id, with_details=reads_details(staff.roles))


@router.post("/requests/{request_id}/verify", response_model=RequestOut)
def verify(request_id: uuid.UUID, body: CodeIn, _: Manager, uow: UowDep) -> RequestOut:
    """The code the caller read back (wrong codes are counted and audited)."""
    if not intake.confirm_staff_code(uow, service.get(uow, request_id), body.code):
        _keep_and_raise(uow, verification_failed())
    finish(uow)
    return _out(uow, request_id)


@router.post("/requests/{request_id}/verify-document", response_model=RequestOut)
def verify_document(request_id: uuid.UUID, body: ReasonIn, _: Manager, uow: UowDep) -> RequestOut:
    """Identity confirmed from documents; the note is kept sealed with the request."""
    intake.verify_by_document(uow, service.get(uow, request_id), body.reason)
    finish(uow)
    return _out(uow, request_id)


@router.post("/requests/{request_id}/resend-code", status_code=204)
def resend_code(request_id: uuid.UUID, _: Manager, uow: UowDep) -> Response:
    """A fresh code to the address on the account."""
    service.resend_code(uow, service.get(uow, request_id))
    finish(uow)
    return Response(status_code=204)


@router.post("/requests/{request_id}/fulfil", response_model=FulfilmentOut)
def fulfil_request(
    request_id: uuid.UUID, _: Manager, uow: UowDep, body: FulfilIn | None = None
) -> FulfilmentOut:
    """Fulfil a verified request (not an erasure: see ``/erase``)."""
    options = body or FulfilIn()
    done = fulfil.fulfil(
        uow,
        request_id,
        corrections=options.corrections,
        recipient_url=options.recipient_url,
        recipient_country=options.recipient_country,
    )
    finish(uow)
    return FulfilmentOut.of(done)


@router.post("/requests/{request_id}/erase", response_model=ErasureOut)
def erase(request_id: uuid.UUID, _: Eraser, uow: UowDep) -> ErasureOut:
    """Carry out an erasure request; refused while an access request is open."""
    try:
        reply = erasure.erase(uow, request_id)
    except erasure.ErasureBlocked as blocked:
        uow.keep_only_refusal(partial(erasure.record_blocked, uow, request_id, blocked))
        raise
    finish(uow)
    return ErasureOut.of(reply)


@router.post("/requests/{request_id}/refuse", response_model=RequestOut)
def refuse(request_id: uuid.UUID, body: ReasonIn, _: Manager, uow: UowDep) -> RequestOut:
    """Refuse the request with the reason the requester is given."""
    service.refuse(uow, service.get(uow, request_id), body.reason)
    finish(uow)
    return _out(uow, request_id)


@router.post("/requests/{request_id}/extend", response_model=RequestOut)
def extend(request_id: uuid.UUID, body: ExtendIn, _: Manager, uow: UowDep) -> RequestOut:
    """Extend the deadline (within the first month, with a reason; the requester is told)."""
    service.extend(uow, service.get(uow, request_id), body.months, body.reason)
    finish(uow)
    return _out(uow, request_id)


@router.post("/requests/{request_id}/pause", response_model=RequestOut)
def pause(request_id: uuid.UUID, body: PauseIn, _: Manager, uow: UowDep) -> RequestOut:
    """Stop the statutory clock while waiting for the requester: to clarify the request, for
    information needed to identify them, or another reason said in the note. The requester
    is told by mail what is needed (in fixed words; the note is kept sealed, never mailed).
    A closed request, or one whose clock is already paused or waits for the identity check,
    is refused (409)."""
    pauses.pause(uow, service.get(uow, request_id), body.reason, body.note)
    finish(uow)
    return _out(uow, request_id)


@router.post("/requests/{request_id}/resume", response_model=RequestOut)
def resume(request_id: uuid.UUID, _: Manager, uow: UowDep) -> RequestOut:
    """Start the clock again: the deadline moves by the whole days it was paused, and the
    requester is told. A request whose clock is not paused is refused (409)."""
    pauses.resume(uow, service.get(uow, request_id))
    finish(uow)
    return _out(uow, request_id)


@router.post("/requests/{request_id}/objection-decision", response_model=RequestOut)
def decide(request_id: uuid.UUID, body: DecisionIn, _: Manager, uow: UowDep) -> RequestOut:
    """The DPO upholds (processing restricted) or rejects an objection to holding the data."""
    request = service.get(uow, request_id)
    changes.decide_objection(uow, request, uphold=body.uphold, reason=body.reason)
    finish(uow)
    return _out(uow, request_id)


@router.get("/requests/{request_id}/export")
def export(
    request_id: uuid.UUID,
    _: Exporter,
    uow: UowDep,
    fmt: Annotated[str, Query(alias="format", pattern=ONE_OF_FORMATS)] = "json",
) -> Response:
    """A prepared copy (access: json, html; portability: json, zip), as an attachment."""
    artifact = delivery.for_staff(uow, request_id, fmt)
    finish(uow)
    headers = {"content-disposition": f'attachment; filename="{artifact.filename}"'}
    if artifact.fmt == "html":
        headers["content-security-policy"] = HTML_CSP
    return Response(artifact.content, media_type=artifact.media_type, headers=headers)


@router.get("/due", response_model=DueOut)
def due_list(
    _: Reader, uow: UowDep, within_days: Annotated[int, Query(ge=0, le=366)] = 7
) -> DueOut:
    """Overdue and due-soon requests for the DPO."""
    return DueOut.of(due.due_report(uow, within_days))


@router.post("/due/alert", response_model=DueOut)
def due_alert(
    _: Manager, uow: UowDep, within_days: Annotated[int, Query(ge=0, le=366)] = 7
) -> DueOut:
    """Record today's lists for the DPO role in the audit log."""
    report = due.alert_dpo(uow, within_days)
    finish(uow)
    return DueOut.of(report)
