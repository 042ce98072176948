"""Scheduled work of the rights capability (declared in its front door); each job acts as
the platform itself (the ``klaremont`` system actor and its allowance)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.rights import delivery, due, erasure, intake

if TYPE_CHECKING:
    from klaremont.platform import Platform

DUE_WITHIN_DAYS = 7


def alert_due(platform: Platform) -> str:
    """Record the overdue and due-soon lists for the DPO (daily)."""
    with platform.unit_of_work() as uow:
        report = due.alert_dpo(uow, DUE_WITHIN_DAYS)
    return f"{len(report.overdue)} overdue, {len(report.due_soon)} due soon"


def shred_due(platform: Platform) -> str:
    """Destroy the data keys of erased people nothing retained needs; delete expired copies."""
    with platform.unit_of_work() as uow:
        done = erasure.shred_due(uow)
        purged = delivery.purge_expired(uow)
    return f"{len(done)} data keys destroyed, {purged} expired copies deleted"


def close_lapsed(platform: Platform) -> str:
    """Close requests made without signing in whose e-mail code was never used (daily)."""
    with platform.unit_of_work() as uow:
        closed = intake.close_lapsed(uow)
    return f"{len(closed)} unconfirmed requests closed"
