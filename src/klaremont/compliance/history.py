"""The live-status history: run every live check, keep a row when a clause's status changes.

:func:`check_all` is the hourly job (and ``klaremont compliance check``): it runs each
clause's checks (:data:`klaremont.policy.live.REGISTRY`) against the platform and calls
:func:`record` with the outcomes. :func:`record` appends a row for a clause only when its
status differs from the newest row, so "since when" is the newest row's time. The page and
the metrics read :func:`latest`; nothing runs a check when a page is drawn or scraped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.compliance.actions import ComplianceAction
from klaremont.compliance.models import DETAIL_MAX, ClauseStatusChange
from klaremont.policy.catalog import load_catalog
from klaremont.policy.live import REGISTRY, LiveOutcome, LiveRegistry, load_all_checks

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from klaremont.platform import Platform, UnitOfWork

#: who the job's audit events name
JOB_ACTOR = Actor(ActorType.SYSTEM, "job:compliance-history", "Live checks (scheduled job)")


@dataclass(frozen=True, slots=True)
class Recorded:
    """What one run of the checks found and kept."""

    checked: int
    changed: tuple[str, ...]


def run_checks(platform: Platform, registry: LiveRegistry | None = None) -> dict[str, LiveOutcome]:
    """Every clause that has a live check, with its outcome now."""
    checks = registry or REGISTRY
    if registry is None:
        load_all_checks()
    return {
        clause.id: checks.run(clause.id, platform)
        for clause in load_catalog()
        if checks.checks_for(clause.id)
    }


def latest(session: Session) -> dict[str, ClauseStatusChange]:
    """The newest row of every clause that has one."""
    rows = session.scalars(
        select(ClauseStatusChange).order_by(ClauseStatusChange.clause_id, ClauseStatusChange.number)
    )
    return {row.clause_id: row for row in rows}


def history_of(session: Session, clause_id: str) -> list[ClauseStatusChange]:
    """Every status change of ``clause_id``, newest first."""
    return list(
        session.scalars(
            select(ClauseStatusChange)
            .where(ClauseStatusChange.clause_id == clause_id)
            .order_by(ClauseStatusChange.number.desc())
        )
    )


def record(uow: UnitOfWork, outcomes: Mapping[str, LiveOutcome]) -> Recorded:
    """Append a row for each clause whose status changed (or that has none yet)."""
    newest = latest(uow.session)
    now = uow.clock.now()
    changed: list[str] = []
    for clause_id, outcome in sorted(outcomes.items()):
        before = newest.get(clause_id)
        if before is not None and before.status == outcome.status.value:
            continue
        uow.session.add(
            ClauseStatusChange(
                clause_id=clause_id,
                number=(before.number + 1) if before is not None else 1,
                status=outcome.status.value,
                detail=outcome.detail[:DETAIL_MAX],
                at=now,
            )
        )
        changed.append(clause_id)
    if changed:
        uow.session.flush()
        uow.audit(
            ComplianceAction.STATUS_CHANGED,
            resource="compliance:history",
            details={"changed": len(changed), "checked": len(outcomes)},
        )
    return Recorded(checked=len(outcomes), changed=tuple(changed))


def check_all(platform: Platform) -> str:
    """The scheduled job: run every live check and record the changes; one line saying so."""
    outcomes = run_checks(platform)
    with platform.unit_of_work(actor=JOB_ACTOR) as uow:
        done = record(uow, outcomes)
    changed = ", ".join(done.changed) if done.changed else "none"
    return f"{done.checked} clauses checked; status changed: {changed}"
