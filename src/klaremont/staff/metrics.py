"""Staff sign-in metrics (extension point ``"metrics"``): lockouts, counted, never named."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from klaremont.db.engine import READ_ONLY
from klaremont.staff.models import LockoutRecord, StaffAccount

if TYPE_CHECKING:
    from klaremont.platform import Platform


def collect(platform: Platform) -> list[Metric]:
    """Locks in the last hour (real accounts and unknown names) and accounts locked now."""
    now = platform.clock.now()
    with platform.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        recent = conn.execute(
            select(func.count())
            .select_from(LockoutRecord)
            .where(LockoutRecord.locked_at > now - timedelta(hours=1))
        ).scalar_one()
        locked = conn.execute(
            select(func.count())
            .select_from(StaffAccount)
            .where(StaffAccount.locked_at.is_not(None), StaffAccount.lock_expires_at > now)
        ).scalar_one()
        conn.rollback()
    return [
        GaugeMetricFamily(
            "klaremont_staff_lockouts_last_hour",
            "Sign-in lockouts in the last hour (accounts and unknown names alike).",
            value=recent,
        ),
        GaugeMetricFamily(
            "klaremont_staff_accounts_locked",
            "Staff accounts locked out now.",
            value=locked,
        ),
    ]
