"""Audit log API: read events (the read is itself audited) and verify the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from klaremont.audit.events import Outcome, action_tag
from klaremont.audit.permissions import AuditPermission
from klaremont.audit.verify_record import record_verification
from klaremont.errors import ValidationFailed
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep

router = APIRouter(prefix="/api/audit", tags=["audit"])
Reader = Annotated[StaffPrincipal, Depends(require(AuditPermission.AUDIT_READ))]
Verifier = Annotated[StaffPrincipal, Depends(require(AuditPermission.AUDIT_VERIFY))]


class EventOut(BaseModel):
    """One audit event (PCI DSS 10.2.2 fields)."""

    seq: int
    occurred_at: str
    actor_type: str
    actor_id: str
    action: str
    outcome: str
    origin: str | None
    resource: str | None
    purpose: str | None
    request_id: str | None
    details: dict[str, Any]
    hash: str


class EventPage(BaseModel):
    """A page of events; pass ``next_after_seq`` back as ``after_seq`` for the next page."""

    events: list[EventOut]
    next_after_seq: int | None


class FindingOut(BaseModel):
    """One problem found by verification."""

    kind: str
    seq: int | None
    message: str


class VerifyOut(BaseModel):
    """The result of checking the hash chain and the signed checkpoints."""

    ok: bool
    events: int
    last_seq: int
    checkpoints: int
    first_broken: int | None
    kind: str | None
    unsealed_tail: int
    findings: list[FindingOut]


@router.get("/events", response_model=EventPage)
def list_events(
    uow: UowDep,
    _staff: Reader,
    action: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    actor_id: Annotated[str | None, Query(max_length=128)] = None,
    resource: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    after_seq: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    """Read events in order; the read is recorded as ``audit.read`` (IS-AC-LOGIN-LOG)."""
    tag = None
    if action is not None:
        try:
            tag = action_tag(action)
        except ValueError:
            raise ValidationFailed.single("action", "must be a catalogued audit action") from None
    events = uow.platform.audit.read(
        uow.session,
        reader=uow.actor,
        origin=uow.origin,
        request_id=uow.request_id,
        action=tag,
        outcome=outcome,
        actor_id=actor_id,
        resource=resource,
        since=since,
        until=until,
        after_seq=after_seq,
        limit=limit,
    )
    out = [
        EventOut.model_validate(
            {
                **{c: getattr(e, c) for c in EventOut.model_fields if c != "details"},
                "details": e.details_dict(),
            }
        )
        for e in events
    ]
    return EventPage(events=out, next_after_seq=out[-1].seq if len(out) == limit else None)


@router.post("/verify", response_model=VerifyOut)
def verify(uow: UowDep, _staff: Verifier) -> VerifyOut:
    """Check the whole chain and the checkpoints; the check is itself audited."""
    report = uow.platform.audit.verify(uow.platform.engine)
    record_verification(uow, report, via="api")
    return VerifyOut(
        ok=report.ok,
        events=report.events,
        last_seq=report.last_seq,
        checkpoints=report.checkpoints,
        first_broken=report.first_broken,
        kind=str(report.kind) if report.kind else None,
        unsealed_tail=report.unsealed_tail,
        findings=[
            FindingOut(kind=str(f.kind), seq=f.seq, message=f.message) for f in report.findings
        ],
    )
