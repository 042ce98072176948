"""Fulfilling a verified request, by kind. Erasure has its own entry point
(:func:`klaremont.rights.erasure.erase`), because it needs a stronger permission.

* access: the complete copy (:mod:`klaremont.rights.access`) as JSON and HTML, delivered by a
  link mailed to the address on the account;
* portability: the provided data (:mod:`klaremont.rights.portability`) as JSON and a zip of
  CSVs, the same way, and optionally sent to the recipient the person named;
* rectification: the corrections the person asked for (or the DPO's reading of them);
* restriction: processing restricted to storage;
* objection: marketing off at once; an objection to holding the data goes to the DPO.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from klaremont import transfers
from klaremont.errors import ValidationFailed
from klaremont.rights import access, changes, delivery, portability, service
from klaremont.rights.events import RightsEvent, audit_rights, request_resource
from klaremont.rights.models import Transmission
from klaremont.rights.objection import object_to_marketing
from klaremont.rights.states import ObjectionScope, RequestKind
from klaremont.rights.transmit import check_url, transmitter_for

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest


@dataclass(frozen=True)
class Fulfilment:
    """What fulfilling did."""

    request_id: uuid.UUID
    reference: str
    kind: RequestKind
    state: str
    outcome: dict[str, Any] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)


def _access(uow: UnitOfWork, request: RightsRequest) -> dict[str, Any]:
    copy = access.collect(uow, request.subject_id)
    delivery.store(uow, request, "json", copy.to_json())
    delivery.store(uow, request, "html", copy.to_html())
    delivery.issue_link(uow, request)
    return {"tables": {t.name: len(t.rows) for t in copy.tables}, "rows": copy.row_count()}


def _transmit(
    uow: UnitOfWork, request: RightsRequest, url: str, country: str | None, payload: bytes
) -> dict[str, Any]:
    host, _port = check_url(url, allow_private=transmitter_for(uow).allow_private)
    if not country:
        raise ValidationFailed.single(
            "recipient_country",
            "required when sending the copy to another organisation: the country it is in "
            "(ISO 3166-1 alpha-2, e.g. GB), so the transfer can be checked (DP-TRANSFER)",
        )
    verdict = transfers.guard(
        uow,
        country=country,
        recipient=host,
        path="portability",
        field="recipient_country",
        resource=request_resource(request.id),
    )
    sent = transmitter_for(uow).send(url, payload)
    uow.session.add(
        Transmission(
            request_id=request.id,
            subject_id=request.subject_id,
            recipient_host=sent.host,
            sent_at=uow.clock.now(),
            status_code=sent.status_code,
            outcome=sent.outcome,
            payload_sha256=sent.sha256,
            size=sent.size,
        )
    )
    uow.session.flush()
    result = {
        "host": sent.host,
        "outcome": sent.outcome,
        "status": sent.status_code,
        "country": verdict.country,
        "transfer_basis": verdict.basis,
    }
    audit_rights(
        uow, RightsEvent.TRANSMITTED, resource=request_resource(request.id), details=result
    )
    return result


def _portability(
    uow: UnitOfWork,
    request: RightsRequest,
    recipient_url: str | None,
    recipient_country: str | None,
) -> dict[str, Any]:
    portable = portability.build(access.collect(uow, request.subject_id))
    document = portable.to_json()
    delivery.store(uow, request, "json", document)
    delivery.store(uow, request, "zip", portable.to_zip())
    delivery.issue_link(uow, request)
    outcome: dict[str, Any] = {"records": {k: len(v) for k, v in portable.records.items()}}
    details = service.details_of(request)
    url = recipient_url or details.get("recipient_url")
    country = recipient_country or details.get("recipient_country")
    if url:
        outcome["transmission"] = _transmit(
            uow, request, str(url), str(country) if country else None, document
        )
    return outcome


def fulfil(
    uow: UnitOfWork,
    request_id: uuid.UUID,
    *,
    corrections: list[dict[str, Any]] | None = None,
    recipient_url: str | None = None,
    recipient_country: str | None = None,
) -> Fulfilment:
    """Do what the request asks; the request ends fulfilled (or, for an objection to holding
    the data, waits in progress for the DPO's decision)."""
    request = service.get(uow, request_id)
    service.require_workable(request)
    kind = request.kind
    if kind is RequestKind.ERASURE:
        raise ValidationFailed.single("kind", "an erasure is carried out by the erase action")
    service.start(uow, request)
    outcome: dict[str, Any]
    done = True
    if kind is RequestKind.ACCESS:
        outcome = _access(uow, request)
    elif kind is RequestKind.PORTABILITY:
        outcome = _portability(uow, request, recipient_url, recipient_country)
    elif kind is RequestKind.RECTIFICATION:
        raw = (
            corrections
            if corrections is not None
            else service.details_of(request).get("corrections")
        )
        fields = changes.rectify(uow, request, changes.parse_corrections(raw))
        outcome = {"fields": fields}
    elif kind is RequestKind.RESTRICTION:
        changes.restrict(uow, request.subject_id, f"data subject request {request.reference}")
        outcome = {"restricted": True}
    elif request.scope is ObjectionScope.MARKETING:
        object_to_marketing(uow, request.subject_id)
        outcome = {"marketing": "off", "profiling": "off"}
    else:
        outcome = {"awaiting": "the DPO's decision on the objection"}
        done = False
    if done:
        service.complete(
            uow, request, outcome, tell=kind not in {RequestKind.ACCESS, RequestKind.PORTABILITY}
        )
    return Fulfilment(
        request_id=request.id,
        reference=request.reference,
        kind=kind,
        state=request.state.value,
        outcome=outcome,
        formats=delivery.formats(uow, request.id),
    )
