"""Live checks of staff identity and access: does each clause hold on this deployment now?

Policy-only checks need the settings and the policy file; the others look at the staff
tables when the context is a full platform (``klaremont policy trace`` passes one).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.policy.live import (
    CheckResult,
    LiveContext,
    live_check,
    staff_link,
    with_database,
)
from klaremont.staff.models import (
    AccessReview,
    AccountKind,
    AccountStatus,
    ApiToken,
    RemoteGrant,
    StaffAccount,
    StaffSession,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "policy values hold; accounts not inspected (no database in this context)"
#: the page behind the access-review check's answer
ACCESS_REVIEW = staff_link("Access review", "access-review")


def _with_database(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return with_database(ctx, check, without=NO_DATABASE)


@live_check(
    "IS-PW-LOCK3",
    reads="the password policy's lockout threshold",
)
def lockout_after_three(ctx: LiveContext) -> CheckResult:
    """The policy locks after at most three consecutive failures."""
    threshold = ctx.policy.lockout.threshold
    return CheckResult(
        holds=threshold <= 3,  # noqa: PLR2004 - the policy's own number
        detail=f"accounts lock after {threshold} consecutive failures for "
        f"{ctx.policy.lockout.lockout_minutes} minutes",
    )


@live_check(
    "IS-PW-60",
    reads="the password policy's expiry period",
)
def password_expiry(ctx: LiveContext) -> CheckResult:
    """Passwords expire after at most 60 days."""
    days = ctx.policy.passwords.expiry_days
    return CheckResult(holds=days <= 60, detail=f"passwords expire after {days} days")  # noqa: PLR2004


@live_check(
    "IS-USE-LOCK",
    reads="the session policy's idle timeout",
)
def idle_timeout(ctx: LiveContext) -> CheckResult:
    """Console sessions lock after at most 15 idle minutes (PCI DSS 8.2.8)."""
    minutes = ctx.policy.sessions.idle_timeout_minutes
    return CheckResult(holds=minutes <= 15, detail=f"sessions end after {minutes} idle minutes")  # noqa: PLR2004


@live_check(
    "IS-RA-2FA",
    reads="the remote-access policy: second factor and the approvals a grant needs",
)
def remote_needs_two_approvals_and_mfa(ctx: LiveContext) -> CheckResult:
    """Remote access needs a second factor and both approvals."""
    remote = ctx.policy.remote_access
    both = {"line_manager", "technical_operations"} <= set(remote.approvals)
    return CheckResult(
        holds=remote.mfa_required and both,
        detail=f"remote access: second factor {'required' if remote.mfa_required else 'OFF'}; "
        f"approvals {', '.join(remote.approvals)}",
    )


@live_check(
    "IS-AC-INACTIVE",
    reads="active staff accounts whose last sign-in is older than the policy's inactivity period",
)
def no_idle_active_accounts(ctx: LiveContext) -> CheckResult:
    """No active account has been idle past the policy period."""

    def check(uow: UnitOfWork) -> CheckResult:
        from klaremont.staff.jobs import inactive_since  # noqa: PLC0415 - only with a database

        days = uow.policy.accounts.inactivity_days
        active = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.status == AccountStatus.ACTIVE.value)
        ).all()
        idle = [a.username for a in active if inactive_since(uow, a) is not None]
        detail = f"{len(idle)} active accounts idle over {days} days" + (
            f": {', '.join(idle)} (run `klaremont staff inactivity-sweep`)" if idle else ""
        )
        return CheckResult(holds=not idle, detail=detail)

    return _with_database(ctx, check)


@live_check(
    "IS-AC-MAINT",
    reads="maintenance accounts still active after their window closed",
)
def maintenance_accounts_expire(ctx: LiveContext) -> CheckResult:
    """No maintenance account is active past its window."""

    def check(uow: UnitOfWork) -> CheckResult:
        overdue = uow.session.scalar(
            select(func.count()).where(
                StaffAccount.kind == AccountKind.MAINTENANCE.value,
                StaffAccount.status == AccountStatus.ACTIVE.value,
                StaffAccount.expires_at <= uow.clock.now(),
            )
        )
        limit = uow.policy.accounts.maintenance_max_hours
        return CheckResult(
            holds=not overdue,
            detail=f"{overdue or 0} maintenance accounts past their window (max {limit} h)",
        )

    return _with_database(ctx, check)


@live_check(
    "IS-AC-LEAVER",
    reads="offboarded accounts: their live sessions, API tokens and remote-access grants",
)
def leavers_hold_nothing(ctx: LiveContext) -> CheckResult:
    """No offboarded account has a live session, token or remote grant."""

    def check(uow: UnitOfWork) -> CheckResult:
        leavers = select(StaffAccount.id).where(
            StaffAccount.status == AccountStatus.OFFBOARDED.value
        )
        counts = {
            "sessions": uow.session.scalar(
                select(func.count()).where(
                    StaffSession.account_id.in_(leavers), StaffSession.ended_at.is_(None)
                )
            ),
            "API tokens": uow.session.scalar(
                select(func.count()).where(
                    ApiToken.account_id.in_(leavers), ApiToken.revoked_at.is_(None)
                )
            ),
            "remote grants": uow.session.scalar(
                select(func.count()).where(
                    RemoteGrant.account_id.in_(leavers), RemoteGrant.revoked_at.is_(None)
                )
            ),
        }
        held = {name: n for name, n in counts.items() if n}
        detail = (
            "leavers hold nothing"
            if not held
            else "leavers still hold " + ", ".join(f"{n} {name}" for name, n in held.items())
        )
        return CheckResult(holds=not held, detail=detail)

    return _with_database(ctx, check)


@live_check(
    "IS-AC-REVIEW",
    reads="the newest access review sign-off against the policy's review interval",
)
def access_review_recent(ctx: LiveContext) -> CheckResult:
    """The last access review was signed off within the policy interval."""

    def check(uow: UnitOfWork) -> CheckResult:
        interval = uow.policy.accounts.access_review_interval_days
        last = uow.session.scalar(select(func.max(AccessReview.signed_at)))
        if last is None:
            return CheckResult(
                holds=False,
                detail="no access review has been signed off yet",
                records=(ACCESS_REVIEW,),
            )
        due = last + timedelta(days=interval)
        return CheckResult(
            holds=uow.clock.now() < due,
            detail=f"last review signed {last:%Y-%m-%d}; next due {due:%Y-%m-%d}",
            records=(ACCESS_REVIEW,),
        )

    return _with_database(ctx, check)
