"""Recorded scans under ``/api/scans``: the list, one run with its findings (masked), its
reports, and a scan of Klaremont's own data.

Thin over the service. ``scans:read`` lists and reads; ``scans:run`` starts a scan. The API
never scans a path or a database a request names: the only target it accepts is ``self``
(the platform's own data); anything else is refused as problem+json naming ``target``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from klaremont.scan import service
from klaremont.scan.models import REFERENCE_MAX, ScanRun
from klaremont.scan.permissions import ScanPermission
from klaremont.scan.web import views
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/scans", tags=["scans"])

Reader = Annotated[StaffPrincipal, Depends(require(ScanPermission.SCANS_READ))]
Runner = Annotated[StaffPrincipal, Depends(require(ScanPermission.SCANS_RUN))]
Reference = Annotated[
    str,
    Path(min_length=1, max_length=REFERENCE_MAX, description="the scan's reference, SC-2026-0001"),
]


class ScanIn(BaseModel):
    """What to scan: only ``self``, Klaremont's own data."""

    model_config = ConfigDict(extra="forbid")

    target: Literal["self"] = Field(description="must be 'self': the platform's own data")


class ScanOut(BaseModel):
    """A recorded scan: counts only."""

    reference: str
    label: str
    own_data: bool
    started_by: str
    started_at: datetime
    finished_at: datetime
    bytes: int
    seconds: float
    kinds: list[str]
    status: str
    counts: dict[str, int]
    accepted: dict[str, int]
    card_data: int
    problems: int
    incident: str | None

    @classmethod
    def of(cls, run: ScanRun) -> ScanOut:
        """From the row."""
        return cls(
            reference=run.reference,
            label=run.label,
            own_data=run.own_data,
            started_by=run.actor_name,
            started_at=run.started_at,
            finished_at=run.finished_at,
            bytes=run.bytes,
            seconds=run.seconds,
            kinds=[k for k in run.kinds.split(",") if k],
            status=run.status.value,
            counts={k.value: n for k, n in service.counts(run).items()},
            accepted={k.value: n for k, n in service.accepted(run).items()},
            card_data=run.card_data,
            problems=run.problems,
            incident=run.incident,
        )


class FindingOut(BaseModel):
    """One finding: what, where, and a masked sample (never the value)."""

    kind: str
    what: str
    severity: str
    source: str
    where: str
    sample: str
    accepted: str | None


class ScanDetailOut(ScanOut):
    """A recorded scan with its findings and the problems it met."""

    findings: list[FindingOut]
    warnings: list[str]


@router.get("", response_model=list[ScanOut])
def list_scans(_: Reader, uow: UowDep) -> list[ScanOut]:
    """Recorded scans, newest first."""
    return [ScanOut.of(r) for r in service.list_runs(uow)]


@router.post("", response_model=ScanOut, status_code=201)
def scan_now(body: ScanIn, _: Runner, uow: UowDep) -> ScanOut:
    """Scan Klaremont's own data and record it (card data found raises an incident)."""
    del body  # only "self" gets here
    result = service.scan_own_data(uow.platform.settings)
    reference = service.record(uow, result, raise_incident=True)
    answer = ScanOut.of(service.get(uow, reference))
    finish(uow)
    return answer


@router.get("/{reference}", response_model=ScanDetailOut)
def show_scan(reference: Reference, _: Reader, uow: UowDep) -> ScanDetailOut:
    """One recorded scan with its findings (masked samples only)."""
    run = service.get(uow, reference)
    result = service.report(uow, run)
    return ScanDetailOut(
        **ScanOut.of(run).model_dump(),
        findings=[
            FindingOut(
                kind=f.kind.value,
                what=f.kind.label,
                severity=f.severity.value,
                source=f.source,
                where=f.where,
                sample=f.sample,
                accepted=f.allowed,
            )
            for f in result.findings
        ],
        warnings=list(result.problems),
    )


@router.get("/{reference}/report.json")
def report_json(reference: Reference, _: Reader, uow: UowDep) -> Response:
    """The run's report as JSON."""
    return views.report_response(uow, service.get(uow, reference), "json")


@router.get("/{reference}/report.sarif")
def report_sarif(reference: Reference, _: Reader, uow: UowDep) -> Response:
    """The run's report as SARIF 2.1.0."""
    return views.report_response(uow, service.get(uow, reference), "sarif")


@router.get("/{reference}/report.html")
def report_html(reference: Reference, _: Reader, uow: UowDep) -> Response:
    """The run's report as a standalone HTML page."""
    return views.report_response(uow, service.get(uow, reference), "html")
