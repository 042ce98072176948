"""The record of runs in the production data store, and their audit events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from klaremont.sanitize.actions import SanitizeAction
from klaremont.sanitize.models import SanitizeRun

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork


def _reference(uow: UnitOfWork, when: datetime) -> str:
    prefix = f"SAN-{when.year}-"
    count = uow.session.scalar(
        select(func.count())
        .select_from(SanitizeRun)
        .where(SanitizeRun.reference.like(prefix + "%"))
    )
    return f"{prefix}{(count or 0) + 1:04d}"


def save(platform: Platform, report: dict[str, Any], *, passed: bool, started_by: str) -> str:
    """Record one run and audit it; returns its reference."""
    with platform.unit_of_work() as uow:
        now = uow.clock.now()
        reference = _reference(uow, now)
        report = {**report, "reference": reference}
        uow.session.add(
            SanitizeRun(
                reference=reference,
                started_at=datetime.fromisoformat(report["started_at"]),
                finished_at=now,
                started_by=started_by[:128],
                source=str(report["source"])[:400],
                target=str(report["target"])[:400],
                key_fingerprint=str(report["key_fingerprint"]),
                passed=passed,
                rows_written=int(report["rows_written"]),
                report=json.dumps(report, sort_keys=True),
            )
        )
        action = SanitizeAction.COPY_MADE if passed else SanitizeAction.COPY_FAILED
        uow.audit(
            action,
            resource=f"sanitize:{reference}",
            details={"rows": report["rows_written"], "target": report["target"]},
        )
    return reference


def runs(platform: Platform) -> list[SanitizeRun]:
    """Every recorded run, newest first."""
    with platform.unit_of_work() as uow:
        return list(
            uow.session.scalars(select(SanitizeRun).order_by(SanitizeRun.started_at.desc()))
        )


def find(platform: Platform, reference: str) -> SanitizeRun | None:
    """One run by its reference."""
    with platform.unit_of_work() as uow:
        return uow.session.scalar(select(SanitizeRun).where(SanitizeRun.reference == reference))
