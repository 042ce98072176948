"""Scans as records: store a finished scan, find the runs, and scan Klaremont's own data.

:func:`record` keeps a finished :class:`~klaremont.scan.findings.ScanResult` as a run
(``SC-<year>-<nnnn>``, counts per kind) and its JSON report (masked samples only), audits it
with counts only, and, when asked to and card data remains that no allow-list entry
accepts, announces :class:`~klaremont.scan.announcements.CardDataFound` in the same unit of
work: the incident capability opens an incident (PCI DSS 12.10.7). :func:`scan_own_data` is
the one way the platform scans itself (the daily job, the console's button, the API), so
the targets can never come from a request.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, select

from klaremont import events
from klaremont.detectors.kinds import CARD_DATA, Kind
from klaremont.errors import NotFound
from klaremont.scan import apart, engine, reports
from klaremont.scan.actions import ScanAction
from klaremont.scan.announcements import CardDataFound
from klaremont.scan.models import (
    INCIDENT_MAX,
    LABEL_MAX,
    NAME_MAX,
    REFERENCE_MAX,
    ScanReport,
    ScanRun,
    ScanStatus,
)
from klaremont.scan.selfscan import SELF_KINDS, SELF_LABEL, self_targets

if TYPE_CHECKING:
    from rich.progress import Progress

    from klaremont.config import Settings
    from klaremont.platform import UnitOfWork
    from klaremont.scan.findings import Finding, ScanResult

LETTERS: Final = "SC"
LIST_MAX: Final = 200
#: findings the incident is told about (the whole report stays with the scan)
EVENT_FINDINGS: Final = 20


def next_reference(uow: UnitOfWork) -> str:
    """``SC-<year>-<n>``, numbered within the year."""
    prefix = f"{LETTERS}-{uow.clock.now().year}-"
    count = uow.session.scalar(select(func.count()).where(ScanRun.reference.like(prefix + "%")))
    return f"{prefix}{int(count or 0) + 1:04d}"


def scan_own_data(settings: Settings, progress: Progress | None = None) -> ScanResult:
    """Scan Klaremont's own data (the var directory, and the databases when PostgreSQL)."""
    request = engine.ScanRequest(self_targets(settings), SELF_KINDS, label=SELF_LABEL)
    return apart.run_apart(request, progress)


def status_of(result: ScanResult) -> ScanStatus:
    """One word for what ``result`` found."""
    counts = result.counts()
    if any(counts.get(kind, 0) for kind in CARD_DATA) or result.card_data():
        return ScanStatus.CARD_DATA
    return ScanStatus.CLEAN if result.clean else ScanStatus.FINDINGS


def _counts_json(counts: Counter[Kind]) -> str:
    return json.dumps({k.value: n for k, n in sorted(counts.items()) if n}, sort_keys=True)


def finding_line(finding: Finding) -> str:
    """A finding in one line: what, at which source, where, and the masked sample."""
    return f"{finding.kind.label} at {finding.source}: {finding.where} ({finding.sample})"


def record(uow: UnitOfWork, result: ScanResult, *, raise_incident: bool) -> str:
    """Keep ``result`` as a run with its report; its reference.

    When ``raise_incident`` and card data remains that no allow-list entry accepts, the
    incident capability is told (:class:`CardDataFound`) in this unit of work.
    """
    now = uow.clock.now()
    reference = next_reference(uow)[:REFERENCE_MAX]
    left = result.counts()
    found = result.counts(remaining=False)
    accepted = Counter({k: found[k] - left.get(k, 0) for k in found})
    card_data = sum(left.get(kind, 0) for kind in CARD_DATA)
    status = status_of(result)
    run = ScanRun(
        reference=reference,
        label=(result.label or "scan")[:LABEL_MAX],
        own_data=result.label == SELF_LABEL,
        actor_id=uow.actor.id[:NAME_MAX],
        actor_name=(uow.actor.label or uow.actor.id)[:NAME_MAX],
        started_at=result.started_at,
        finished_at=now,
        bytes=result.bytes,
        seconds=round(result.seconds, 3),
        kinds=",".join(sorted(k.value for k in result.kinds)),
        status=status,
        counts=_counts_json(left),
        accepted=_counts_json(accepted),
        card_data=card_data,
        problems=len(result.problems),
        incident_raised=False,
        incident=None,
    )
    uow.session.add(run)
    uow.session.flush()
    uow.session.add(ScanReport(run_id=run.id, report=reports.to_json(result)))
    uow.session.flush()
    uow.audit(
        ScanAction.RECORDED,
        resource=f"scan:{reference}",
        details={
            "reference": reference,
            "status": status.value,
            "bytes": result.bytes,
            # kinds as values: a key such as "card-number" is refused in audit details
            "found": [f"{k.value}: {n}" for k, n in sorted(left.items()) if n],
            "card_data": card_data,
        },
    )
    if raise_incident and status is ScanStatus.CARD_DATA:
        answered = events.publish(uow, card_data_found(reference, result))
        run.incident_raised = True
        run.incident = "; ".join(answered.values())[:INCIDENT_MAX] or None
        uow.session.flush()
    return reference


def card_data_found(reference: str, result: ScanResult) -> CardDataFound:
    """The announcement for ``result``'s card data: counts and masked findings only."""
    left = result.counts()
    return CardDataFound(
        reference=reference,
        label=(result.label or "scan")[:LABEL_MAX],
        card_numbers=left.get(Kind.CARD, 0),
        track_data=left.get(Kind.TRACK, 0),
        card_codes=left.get(Kind.CARD_CODE, 0),
        findings=tuple(finding_line(f) for f in result.card_data()[:EVENT_FINDINGS]),
    )


def list_runs(uow: UnitOfWork, *, limit: int = LIST_MAX) -> list[ScanRun]:
    """Recorded runs, newest first."""
    return list(
        uow.session.scalars(
            select(ScanRun)
            .order_by(ScanRun.finished_at.desc(), ScanRun.reference.desc())
            .limit(max(1, min(limit, LIST_MAX)))
        )
    )


def latest_self(uow: UnitOfWork) -> ScanRun | None:
    """The most recent scan of Klaremont's own data, if any."""
    return uow.session.scalar(
        select(ScanRun)
        .where(ScanRun.own_data.is_(True))
        .order_by(ScanRun.finished_at.desc(), ScanRun.reference.desc())
        .limit(1)
    )


def get(uow: UnitOfWork, reference: str) -> ScanRun:
    """The run with this reference, or :class:`NotFound`."""
    wanted = reference.strip().upper()[:REFERENCE_MAX]
    run = uow.session.scalar(select(ScanRun).where(ScanRun.reference == wanted))
    if run is None:
        raise NotFound(f"no recorded scan {wanted!r}")
    return run


def report_text(uow: UnitOfWork, run: ScanRun) -> str:
    """The run's report as stored (JSON)."""
    text = uow.session.scalar(select(ScanReport.report).where(ScanReport.run_id == run.id))
    if text is None:  # pragma: no cover - every run is stored with its report
        raise NotFound(f"scan {run.reference} has no report")
    return text


def report(uow: UnitOfWork, run: ScanRun) -> ScanResult:
    """The run's report, read back."""
    return reports.from_json(report_text(uow, run))


def counts(run: ScanRun) -> dict[Kind, int]:
    """The run's counts per kind not accepted, most serious first."""
    return _parse(run.counts)


def accepted(run: ScanRun) -> dict[Kind, int]:
    """The run's counts per kind the allow-list accepted."""
    return _parse(run.accepted)


def _parse(text: str) -> dict[Kind, int]:
    known = {k.value: k for k in Kind}
    data = json.loads(text or "{}")
    parsed = {known[k]: int(n) for k, n in data.items() if k in known and int(n)}
    order = list(Kind)
    return dict(sorted(parsed.items(), key=lambda item: order.index(item[0])))
