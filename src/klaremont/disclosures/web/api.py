"""Disclosures under ``/api/disclosures``.

``disclosures:read`` lists and reads; ``disclosures:request`` records a request;
``disclosures:approve`` approves or refuses (the service also checks the director role and
that the approver is not the requester); ``disclosures:export`` builds the one-time export.
Refusals are problem+json naming the field and the rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from klaremont.disclosures import export, service
from klaremont.disclosures.models import BASIS_MAX, CONTACT_MAX, NAME_MAX, TEXT_MAX, Disclosure
from klaremont.disclosures.permissions import DisclosurePermission as P
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/disclosures", tags=["disclosures"])

Reader = Annotated[StaffPrincipal, Depends(require(P.DISCLOSURES_READ))]
Requester = Annotated[StaffPrincipal, Depends(require(P.DISCLOSURES_REQUEST))]
Approver = Annotated[StaffPrincipal, Depends(require(P.DISCLOSURES_APPROVE))]
Exporter = Annotated[StaffPrincipal, Depends(require(P.DISCLOSURES_EXPORT))]
Reference = Annotated[str, Path(min_length=4, max_length=20, description="e.g. DX-2026-0001")]
Short = Annotated[str, Field(min_length=1, max_length=40)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DisclosureIn(_In):
    """A request to disclose."""

    recipient_name: Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
    recipient_kind: Short
    recipient_country: Annotated[str, Field(min_length=2, max_length=2)]
    recipient_contact: Annotated[str | None, Field(max_length=CONTACT_MAX)] = None
    customers: Annotated[
        list[Annotated[str, Field(max_length=254)]], Field(min_length=1, max_length=50)
    ]
    categories: Annotated[list[Short], Field(min_length=1, max_length=20)]
    basis_kind: Short
    basis_reference: Annotated[str, Field(max_length=BASIS_MAX)]
    reason: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class DecisionIn(_In):
    """A director's note (approval) or reason (refusal)."""

    note: Annotated[str, Field(max_length=TEXT_MAX)] = ""


class RefusalIn(_In):
    """Why a director refuses."""

    reason: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class DisclosureOut(BaseModel):
    """A disclosure as the register shows it."""

    reference: str
    recipient_name: str
    recipient_kind: str
    recipient_country: str
    categories: list[str]
    basis_kind: str
    basis_reference: str
    reason: str
    state: str
    people: list[str]
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    exported_at: datetime | None
    export_sha256: str | None

    @classmethod
    def of(cls, uow: Any, d: Disclosure) -> DisclosureOut:
        """From the row."""
        return cls(
            reference=d.reference,
            recipient_name=d.recipient_name,
            recipient_kind=d.recipient_kind.value,
            recipient_country=d.recipient_country,
            categories=service.split(d.categories),
            basis_kind=d.basis_kind.value,
            basis_reference=d.basis_reference,
            reason=d.reason,
            state=d.state.value,
            people=[p.customer_reference for p in service.people(uow, d)],
            requested_by=d.requested_by_name,
            requested_at=d.requested_at,
            decided_by=d.decided_by_name,
            decided_at=d.decided_at,
            decision_note=d.decision_note,
            exported_at=d.exported_at,
            export_sha256=d.export_digest,
        )


@router.get("", response_model=list[DisclosureOut])
def list_disclosures(_: Reader, uow: UowDep) -> list[DisclosureOut]:
    """The register, newest first."""
    return [DisclosureOut.of(uow, d) for d in service.disclosures(uow)]


@router.post("", response_model=DisclosureOut, status_code=201)
def request_disclosure(body: DisclosureIn, _: Requester, uow: UowDep) -> DisclosureOut:
    """Record a request (nothing leaves until a director approves)."""
    made = service.request(uow, service.NewDisclosure(**body.model_dump()))
    answer = DisclosureOut.of(uow, made)
    finish(uow)
    return answer


@router.get("/{reference}", response_model=DisclosureOut)
def get_disclosure(reference: Reference, _: Reader, uow: UowDep) -> DisclosureOut:
    """One disclosure."""
    return DisclosureOut.of(uow, service.find(uow, reference))


@router.post("/{reference}/approve", response_model=DisclosureOut)
def approve(reference: Reference, body: DecisionIn, _: Approver, uow: UowDep) -> DisclosureOut:
    """A director approves (never their own request)."""
    made = service.approve(uow, reference, body.note)
    answer = DisclosureOut.of(uow, made)
    finish(uow)
    return answer


@router.post("/{reference}/refuse", response_model=DisclosureOut)
def refuse(reference: Reference, body: RefusalIn, _: Approver, uow: UowDep) -> DisclosureOut:
    """A director refuses, with the reason."""
    made = service.refuse(uow, reference, body.reason)
    answer = DisclosureOut.of(uow, made)
    finish(uow)
    return answer


@router.post("/{reference}/export")
def export_disclosure(reference: Reference, _: Exporter, uow: UowDep) -> Response:
    """The one-time export of an approved disclosure (JSON attachment); refused otherwise."""
    made = export.build(uow, reference)
    finish(uow)
    disposition = f'attachment; filename="{made.filename}"'
    return Response(
        made.body,
        media_type="application/json",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
