"""The processor register under ``/api/processors``.

``processors:read`` lists, reads, exports the record of processing and asks the transfer
guard; ``processors:manage`` (the DPO) adds processors, records dates and records shares.
Refusals are problem+json naming the field and the rule.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from klaremont import transfers
from klaremont.plausible import Day
from klaremont.processors import ropa, service, share
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.models import HOST_MAX, KEY_MAX, NAME_MAX, TEXT_MAX, Processor
from klaremont.processors.permissions import ProcessorPermission
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.transfers import Mechanism
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/processors", tags=["processors"])

Reader = Annotated[StaffPrincipal, Depends(require(ProcessorPermission.PROCESSORS_READ))]
Manager = Annotated[StaffPrincipal, Depends(require(ProcessorPermission.PROCESSORS_MANAGE))]
Key = Annotated[str, Path(min_length=1, max_length=KEY_MAX, description="the processor's key")]
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
Names = Annotated[list[Annotated[str, Field(max_length=40)]], Field(min_length=1, max_length=20)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Dates(_In):
    """The register's dates (each optional)."""

    contract_signed_on: Day | None = None
    contract_expires_on: Day | None = None
    dpa_signed_on: Day | None = None
    dpa_expires_on: Day | None = None
    safeguard_signed_on: Day | None = None
    tra_on: Day | None = None
    aoc_on: Day | None = None
    aoc_expires_on: Day | None = None


class ProcessorIn(Dates):
    """A processor to add."""

    key: Annotated[str, Field(min_length=1, max_length=KEY_MAX)]
    name: Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
    role: Text
    country: Annotated[str, Field(min_length=2, max_length=2)]
    categories: Names
    purposes: Names
    security: Text
    mechanism: Mechanism = Mechanism.UK_ADEQUACY
    card_data: bool = False
    host: Annotated[str | None, Field(max_length=HOST_MAX)] = None


class DatesIn(Dates):
    """Dates to record (only those sent change) and optionally a new mechanism."""

    mechanism: Mechanism | None = None


class ShareIn(_In):
    """A share of personal data with the processor."""

    categories: Names
    reason: Text
    card_data: bool = False
    keep_days: Annotated[StrictInt | None, Field(ge=1, le=share.MAX_KEEP_DAYS)] = None


class ProcessorOut(Dates):
    """A processor as the register shows it."""

    key: str
    name: str
    role: str
    country: str
    host: str | None
    categories: list[str]
    purposes: list[str]
    security: str
    mechanism: Mechanism
    card_data: bool
    transfer: str

    @classmethod
    def of(cls, uow: Any, p: Processor) -> ProcessorOut:
        """From the row."""
        return cls(
            key=p.key,
            name=p.name,
            role=p.role,
            country=p.country,
            host=p.host,
            categories=service.split(p.categories),
            purposes=service.split(p.purposes),
            security=p.security,
            mechanism=p.mechanism,
            card_data=p.card_data,
            transfer=ropa.transfer_words(uow, p, p.country),
            **{name: getattr(p, name) for name in service.DATE_FIELDS},
        )


class ShareOut(BaseModel):
    """A recorded share."""

    processor: str
    categories: list[str]
    card_data: bool
    basis: str
    delete_by: date | None


class VerdictOut(BaseModel):
    """The transfer guard's answer."""

    country: str
    allowed: bool
    basis: str
    missing: str


def _dates(body: Dates) -> dict[str, date | None]:
    return {name: value for name in service.DATE_FIELDS if (value := getattr(body, name))}


@router.get("", response_model=list[ProcessorOut])
def list_processors(_: Reader, uow: UowDep) -> list[ProcessorOut]:
    """The register, by name."""
    return [ProcessorOut.of(uow, p) for p in service.processors(uow)]


@router.post("", response_model=ProcessorOut, status_code=201)
def add_processor(body: ProcessorIn, _: Manager, uow: UowDep) -> ProcessorOut:
    """Add a processor."""
    made = service.add(
        uow,
        service.NewProcessor(
            key=body.key,
            name=body.name,
            role=body.role,
            country=body.country,
            categories=body.categories,
            purposes=body.purposes,
            security=body.security,
            mechanism=body.mechanism,
            card_data=body.card_data,
            host=body.host,
            dates=_dates(body),
        ),
    )
    answer = ProcessorOut.of(uow, made)
    finish(uow)
    return answer


@router.get("/record")
def record_of_processing(
    _: Reader,
    uow: UowDep,
    form: Annotated[Literal["json", "csv", "html"], Query(description="the format")] = "json",
) -> Response:
    """The record of processing (UK GDPR Art. 30) as JSON, CSV or HTML."""
    made = ropa.record(uow)
    uow.audit(ProcessorAction.RECORD_EXPORTED, resource="processors:ropa", details={"form": form})
    finish(uow)
    if form == "csv":
        return Response(ropa.to_csv(made), media_type="text/csv; charset=utf-8")
    if form == "html":
        return Response(ropa.to_html(made), media_type="text/html; charset=utf-8")
    return Response(ropa.to_json(made), media_type="application/json")


@router.get("/transfer-check", response_model=VerdictOut)
def transfer_check(
    _: Reader,
    uow: UowDep,
    country: Annotated[str, Query(min_length=2, max_length=2)],
    processor: Annotated[str | None, Query(max_length=KEY_MAX)] = None,
) -> VerdictOut:
    """What the transfer guard would answer for this country (and processor); records nothing."""
    code = transfers.check_country(country, "country")
    found = []
    if processor:
        safeguard = share.safeguard_of(service.find(uow, processor))
        found = [safeguard] if safeguard else []
    verdict = transfers.assess(uow.policy.transfers, code, uow.clock.now().date(), found)
    return VerdictOut(
        country=code, allowed=verdict.allowed, basis=verdict.basis, missing=verdict.missing
    )


@router.get("/{key}", response_model=ProcessorOut)
def get_processor(key: Key, _: Reader, uow: UowDep) -> ProcessorOut:
    """One processor."""
    return ProcessorOut.of(uow, service.find(uow, key))


@router.post("/{key}/dates", response_model=ProcessorOut)
def record_dates(key: Key, body: DatesIn, _: Manager, uow: UowDep) -> ProcessorOut:
    """Record contract, DPA, safeguard, TRA or attestation dates."""
    sent = {name: getattr(body, name) for name in body.model_fields_set if name != "mechanism"}
    made = service.record_dates(uow, key, sent, mechanism=body.mechanism)
    answer = ProcessorOut.of(uow, made)
    finish(uow)
    return answer


@router.post("/{key}/shares", response_model=ShareOut, status_code=201)
def share_with(key: Key, body: ShareIn, _: Manager, uow: UowDep) -> ShareOut:
    """Record a share of personal data with the processor (refused without an attestation
    for card data, without a DPA, or without adequacy or a safeguard)."""
    made = share.share(
        uow,
        share.Share(key, body.categories, body.reason, body.card_data, body.keep_days),
    )
    answer = ShareOut(
        processor=key,
        categories=service.split(made.categories),
        card_data=made.card_data,
        basis=made.basis,
        delete_by=made.delete_by,
    )
    finish(uow)
    return answer
