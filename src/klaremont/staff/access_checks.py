"""Live checks of who may do what, over the staff tables (IS-USE-CRED, IS-USE-SCAN,
IS-RA-CRYPTO, IS-SENS-NEED, IS-SENS-VET).

- IS-USE-CRED: no account has live sessions from more than one place at once (the
  credential-sharing signal of the access review), and no live session belongs to an
  account that may not sign in.
- IS-USE-SCAN: every role held was granted through the guarded path: a known role, not
  granted by its holder, with its audited grant (for grants still in the online audit log);
  the refusals of the last day are counted.
- IS-RA-CRYPTO: production serves https only, and every live remote session was opened with
  a second factor by an account holding an approved remote-access grant (the sign-in refuses
  remote use without TLS, so a remote session exists only over TLS).
- IS-SENS-NEED: no active account holds a role its job does not need, and every role that
  reads personal or card data has a purpose to read it for.
- IS-SENS-VET: every active holder of a role that reads personal or card data was vetted,
  on or before the day the role was granted.

Without a database each says "unknown" (policy-level parts are still checked first).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from klaremont.audit.encoding import format_timestamp
from klaremont.audit.events import AuditAction
from klaremont.audit.models import AuditEvent
from klaremont.policy.live import CheckResult, LiveContext, inspect_database, live_check
from klaremont.staff.events import ACTION_OF, StaffEvent, staff_resource
from klaremont.staff.models import AccountStatus, StaffAccount, StaffRole, StaffSession
from klaremont.staff.permissions import (
    ROLE_PURPOSES,
    Role,
    data_permissions,
    excessive_roles,
    is_data_role,
    role_permissions,
)
from klaremont.staff.service_remote import active_grant

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

WHAT = "staff accounts and sessions"
DAY = timedelta(days=1)
KNOWN_ROLES = frozenset(role.value for role in Role)


def _run(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return inspect_database(ctx, check, what=WHAT)


def _names(found: list[str]) -> str:
    shown = ", ".join(found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")  # noqa: PLR2004


def _live_sessions(uow: UnitOfWork) -> list[tuple[StaffSession, StaffAccount]]:
    rows = uow.session.execute(
        select(StaffSession, StaffAccount)
        .join(StaffAccount, StaffAccount.id == StaffSession.account_id)
        .where(StaffSession.ended_at.is_(None), StaffSession.expires_at > uow.clock.now())
    ).all()
    return [(session, account) for session, account in rows]


@live_check(
    "IS-USE-CRED",
    reads="live console sessions, grouped by account: the places each is used from, and "
    "sessions of closed accounts",
)
def no_account_is_used_from_two_places(ctx: LiveContext) -> CheckResult:
    """No account has live sessions from more than one place; none on a closed account."""

    def check(uow: UnitOfWork) -> CheckResult:
        live = _live_sessions(uow)
        places: dict[str, set[str | None]] = defaultdict(set)
        closed: list[str] = []
        for session, account in live:
            places[account.username].add(session.origin)
            if account.status != AccountStatus.ACTIVE.value:
                closed.append(account.username)
        shared = sorted(
            f"{name} ({len(seen)} places)" for name, seen in places.items() if len(seen) > 1
        )
        if shared:
            return CheckResult(
                holds=False,
                detail=f"live sessions from more than one place at once: {_names(shared)}",
            )
        if closed:
            return CheckResult(
                holds=False,
                detail=f"live sessions of closed accounts: {_names(sorted(set(closed)))}",
            )
        return CheckResult(
            holds=True,
            detail=f"{len(live)} live session(s) of {len(places)} account(s), each from one place",
        )

    return _run(ctx, check)


def _audited_grants(uow: UnitOfWork, since: str) -> set[tuple[str, str]]:
    rows = uow.session.execute(
        select(AuditEvent.resource, AuditEvent.details).where(
            AuditEvent.action == ACTION_OF[StaffEvent.ROLE_GRANTED].value,
            AuditEvent.occurred_at >= since,
        )
    ).all()
    found: set[tuple[str, str]] = set()
    for resource, details in rows:
        role = json.loads(details).get("role")
        if resource and isinstance(role, str):
            found.add((resource, role))
    return found


@live_check(
    "IS-USE-SCAN",
    reads="every role held, who granted it, and the audited grant behind it",
)
def every_role_was_granted_through_the_guard(ctx: LiveContext) -> CheckResult:
    """Every role held is known, granted by someone else, and its grant is in the audit log."""

    def check(uow: UnitOfWork) -> CheckResult:
        now = uow.clock.now()
        online_from = now - relativedelta(months=uow.policy.audit_archive.online_months)
        rows = uow.session.execute(
            select(StaffRole, StaffAccount.username).join(
                StaffAccount, StaffAccount.id == StaffRole.account_id
            )
        ).all()
        audited = _audited_grants(uow, format_timestamp(online_from - DAY))
        bad: list[str] = []
        for role, username in rows:
            if role.role not in KNOWN_ROLES:
                bad.append(f"{username} holds an unknown role {role.role!r}")
            elif role.granted_by.casefold() in {username.casefold(), str(role.account_id)}:
                bad.append(f"{username} granted themself {role.role}")
            elif role.granted_at >= online_from and (
                (staff_resource(role.account_id), role.role) not in audited
            ):
                bad.append(f"{username}'s {role.role} role has no audited grant")
        if bad:
            return CheckResult(holds=False, detail="; ".join(bad[:5]))
        refused = uow.session.scalar(
            select(func.count()).where(
                AuditEvent.action == AuditAction.PERMISSION_DENIED.value,
                AuditEvent.occurred_at >= format_timestamp(now - DAY),
            )
        )
        return CheckResult(
            holds=True,
            detail=f"{len(rows)} role(s) held, each granted by another and audited; "
            f"{refused or 0} action(s) outside a role refused and audited in the last day",
        )

    return _run(ctx, check)


@live_check(
    "IS-RA-CRYPTO",
    reads="the transport settings, and live remote sessions: their second factor and remote-"
    "access grant",
)
def remote_access_is_encrypted_and_personal(ctx: LiveContext) -> CheckResult:
    """Production is https only; every live remote session has a second factor and a grant."""
    settings = ctx.settings
    plain = [p for p in settings.production_problems() if p.startswith("KLAREMONT_PUBLIC_URL:")]
    if plain and settings.is_production:
        return CheckResult(holds=False, detail=plain[0])
    transport = (
        f"{settings.environment.value}: http allowed outside production, remote sign-in still "
        "needs https"
        if plain
        else "served over https"
    )

    def check(uow: UnitOfWork) -> CheckResult:
        remote = [(s, a) for s, a in _live_sessions(uow) if s.remote]
        bad = sorted(
            {
                account.username
                for session, account in remote
                if not session.mfa or active_grant(uow, account.id) is None
            }
        )
        if bad:
            return CheckResult(
                holds=False,
                detail=f"remote sessions without a second factor or a grant: {_names(bad)}",
            )
        return CheckResult(
            holds=True,
            detail=f"{transport}; {len(remote)} live remote session(s), each with a second "
            "factor and an approved grant",
        )

    return _run(ctx, check)


def _roles_by_account(uow: UnitOfWork) -> dict[StaffAccount, list[StaffRole]]:
    rows = uow.session.execute(
        select(StaffAccount, StaffRole)
        .join(StaffRole, StaffRole.account_id == StaffAccount.id)
        .where(StaffAccount.status == AccountStatus.ACTIVE.value)
        .order_by(StaffAccount.username_key)
    ).all()
    found: dict[StaffAccount, list[StaffRole]] = defaultdict(list)
    for account, role in rows:
        found[account].append(role)
    return found


@live_check(
    "IS-SENS-NEED",
    reads="each active account's roles against the roles its job needs",
)
def roles_follow_need_to_know(ctx: LiveContext) -> CheckResult:
    """No active account holds a role its job does not need; every data role has a purpose."""
    aimless = [
        role.value
        for role in Role
        if role_permissions()[role] & data_permissions() and not ROLE_PURPOSES[role]
    ]
    if aimless:
        return CheckResult(
            holds=False,
            detail=f"roles reading personal data for no purpose: {', '.join(aimless)}",
        )

    def check(uow: UnitOfWork) -> CheckResult:
        beyond: list[str] = []
        held = 0
        for account, roles in _roles_by_account(uow).items():
            held += 1
            names = [Role(r.role) for r in roles if r.role in KNOWN_ROLES]
            extra = excessive_roles(Role(account.job_role), names)
            if extra:
                beyond.append(f"{account.username} ({', '.join(sorted(r.value for r in extra))})")
        if beyond:
            return CheckResult(holds=False, detail=f"roles beyond the job's need: {_names(beyond)}")
        return CheckResult(
            holds=True,
            detail=f"{held} active account(s), each holding only the roles its job needs; "
            "every data role has its purposes",
        )

    return _run(ctx, check)


@live_check(
    "IS-SENS-VET",
    reads="holders of personal-data and card-data roles against their background-check dates",
)
def data_roles_are_held_by_vetted_staff(ctx: LiveContext) -> CheckResult:
    """Every active holder of a data role was vetted, no later than the role's grant."""

    def check(uow: UnitOfWork) -> CheckResult:
        today = uow.clock.now().date()
        bad: list[str] = []
        holders = 0
        for account, roles in _roles_by_account(uow).items():
            data = [r for r in roles if r.role in KNOWN_ROLES and is_data_role(Role(r.role))]
            if not data:
                continue
            holders += 1
            vetted = account.vetted_on
            first = min(r.granted_at for r in data).date()
            if vetted is None:
                bad.append(f"{account.username} (never vetted)")
            elif vetted > today or vetted > first:
                bad.append(f"{account.username} (vetted {vetted:%d/%m/%Y}, after the grant)")
        if bad:
            return CheckResult(
                holds=False,
                detail=f"data roles held without a background check: {_names(bad)}",
            )
        return CheckResult(
            holds=True,
            detail=f"{holders} holder(s) of personal or card data roles, each vetted first",
        )

    return _run(ctx, check)
