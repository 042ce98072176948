"""Scheduled staff jobs: disable inactive accounts and expired maintenance accounts.

:func:`inactivity_sweep` is idempotent: it only looks at active accounts, so running it
twice (or in two processes) disables each account once. Time comes from the injected
clock, so tests move a :class:`~klaremont.clock.ManualClock` instead of waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.staff import lockout
from klaremont.staff.models import AccountStatus, StaffAccount
from klaremont.staff.service_lifecycle import disable_account

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import Platform, UnitOfWork


@dataclass
class SweepReport:
    """Which accounts a sweep disabled, by reason."""

    checked: int = 0
    inactive: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    lockout_rows_pruned: int = 0

    @property
    def disabled(self) -> int:
        """How many accounts were disabled."""
        return len(self.inactive) + len(self.expired)


def last_activity(account: StaffAccount) -> datetime:
    """The latest of creation, last login and re-enabling: the inactivity clock's start."""
    moments = [account.created_at]
    if account.last_login_at is not None:
        moments.append(account.last_login_at)
    if account.status_changed_at is not None:
        moments.append(account.status_changed_at)
    return max(moments)


def inactive_since(uow: UnitOfWork, account: StaffAccount) -> datetime | None:
    """When the account became inactive under the policy, or ``None`` if it is not."""
    limit = last_activity(account) + timedelta(days=uow.policy.accounts.inactivity_days)
    return limit if uow.clock.now() >= limit else None


def inactivity_sweep(
    uow: UnitOfWork, *, progress: Callable[[int, int], None] | None = None
) -> SweepReport:
    """Disable active accounts idle for ``accounts.inactivity_days`` and maintenance
    accounts past their window (IS-AC-INACTIVE, IS-AC-MAINT); prune spent lockout rows.
    """
    now = uow.clock.now()
    accounts = uow.session.scalars(
        select(StaffAccount)
        .where(StaffAccount.status == AccountStatus.ACTIVE.value)
        .order_by(StaffAccount.username_key)
    ).all()
    report = SweepReport(checked=len(accounts))
    for index, account in enumerate(accounts, start=1):
        if account.expires_at is not None and account.expires_at <= now:
            disable_account(uow, account, reason="expired")
            report.expired.append(account.username)
        elif inactive_since(uow, account) is not None:
            disable_account(uow, account, reason="inactive")
            report.inactive.append(account.username)
        if progress is not None:
            progress(index, len(accounts))
    report.lockout_rows_pruned = lockout.prune(uow)
    return report


def sweep_job(platform: Platform) -> str:
    """The scheduled form of :func:`inactivity_sweep` (daily), as the system."""
    with platform.unit_of_work() as uow:
        report = inactivity_sweep(uow)
    inactive, expired = len(report.inactive), len(report.expired)
    return f"checked {report.checked}: disabled {inactive} inactive and {expired} expired"
