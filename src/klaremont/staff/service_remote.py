"""Remote-access grants (IS-RA-2FA): approved by the line manager AND technical operations.

A grant is requested by the staff member, then approved once by their line manager and
once by a member of technical operations: two different people, neither the grantee.
Only a grant with both approvals, not revoked and not expired, lets a request from
outside the office networks in (with a TOTP code as well; see :mod:`service_authn`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from klaremont.audit.events import Outcome
from klaremont.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.models import AccountStatus, RemoteGrant, StaffAccount
from klaremont.staff.permissions import Permission, StaffPermission
from klaremont.staff.text import plain_text

if TYPE_CHECKING:
    import uuid
    from collections.abc import Collection, Sequence

    from klaremont.platform import UnitOfWork

GRANT_MAX_DAYS = 365
REASON_MIN = 5


def request_grant(uow: UnitOfWork, account: StaffAccount, *, reason: str, days: int) -> RemoteGrant:
    """Ask for remote access for ``days`` days; it is inactive until both approvals."""
    text = plain_text("reason", reason, min_length=REASON_MIN, max_length=200)
    if not 1 <= days <= GRANT_MAX_DAYS:
        raise ValidationFailed.single("days", f"must be from 1 to {GRANT_MAX_DAYS}")
    if account.line_manager_id is None:
        raise Conflict("Remote access needs a line manager to approve it; none is recorded.")
    now = uow.clock.now()
    grant = RemoteGrant(
        account_id=account.id,
        reason=text[:200],
        requested_at=now,
        expires_at=now + timedelta(days=days),
    )
    uow.session.add(grant)
    uow.session.flush()
    audit_staff(
        uow, StaffEvent.REMOTE_REQUESTED, account, resource=_resource(grant), details={"days": days}
    )
    return grant


def approve_grant(
    uow: UnitOfWork,
    grant_id: uuid.UUID,
    approver: StaffAccount,
    approver_permissions: Collection[Permission],
) -> RemoteGrant:
    """Record one approval: as the grantee's line manager, or as technical operations.

    Refused for the grantee, for an approver who already approved this grant, and for
    anyone who is neither the line manager nor holds ``remote:approve``.
    """
    grant = uow.session.get(RemoteGrant, grant_id)
    if grant is None:
        raise NotFound("No such remote-access grant.")
    grantee = uow.session.get(StaffAccount, grant.account_id)
    if grantee is None:
        raise NotFound("No such remote-access grant.")
    now = uow.clock.now()
    if grant.revoked_at is not None or grant.expires_at <= now:
        raise Conflict("This grant was revoked or has expired; request a new one.")
    if approver.id == grant.account_id:
        raise PermissionDenied("Nobody may approve their own remote access.")
    if approver.id in (grant.manager_approved_by, grant.techops_approved_by):
        raise PermissionDenied("Remote access needs two different approvers.")
    if approver.id == grantee.line_manager_id and grant.manager_approved_by is None:
        grant.manager_approved_by = approver.id
        grant.manager_approved_at = now
        slot = "line_manager"
    elif (
        StaffPermission.REMOTE_APPROVE in approver_permissions and grant.techops_approved_by is None
    ):
        grant.techops_approved_by = approver.id
        grant.techops_approved_at = now
        slot = "technical_operations"
    else:
        raise PermissionDenied(
            "Only the grantee's line manager and technical operations approve remote access."
        )
    uow.session.flush()
    audit_staff(
        uow,
        StaffEvent.REMOTE_APPROVED,
        grantee,
        resource=_resource(grant),
        details={"as": slot, "active": is_active(grant, uow)},
    )
    return grant


def record_refused_approval(
    uow: UnitOfWork, grant_id: uuid.UUID, approver: StaffAccount, error: PermissionDenied
) -> None:
    """Audit a refused approval as ``authz.denied`` (self-approval, a second approval by
    the same person, or someone who may not approve): the adapter discards the refused
    work and commits this (``uow.keep_only_refusal``) before answering."""
    audit_staff(
        uow,
        StaffEvent.PERMISSION_DENIED,
        approver,
        outcome=Outcome.DENIED,
        resource=f"remote-grant:{grant_id}",
        details={"code": error.code, "refused": "remote-access-approval"},
    )


def _resource(grant: RemoteGrant) -> str:
    return f"remote-grant:{grant.id}"


def is_active(grant: RemoteGrant, uow: UnitOfWork) -> bool:
    """Both approvals present, not revoked, not expired."""
    return (
        grant.manager_approved_by is not None
        and grant.techops_approved_by is not None
        and grant.revoked_at is None
        and grant.expires_at > uow.clock.now()
    )


def active_grant(uow: UnitOfWork, account_id: uuid.UUID) -> RemoteGrant | None:
    """The account's active grant, if any."""
    grantee = uow.session.get(StaffAccount, account_id)
    if grantee is None or grantee.status != AccountStatus.ACTIVE.value:
        return None
    rows = uow.session.scalars(
        select(RemoteGrant).where(
            RemoteGrant.account_id == account_id,
            RemoteGrant.revoked_at.is_(None),
            RemoteGrant.manager_approved_by.is_not(None),
            RemoteGrant.techops_approved_by.is_not(None),
            RemoteGrant.expires_at > uow.clock.now(),
        )
    ).all()
    return rows[0] if rows else None


def revoke_grant(uow: UnitOfWork, grant_id: uuid.UUID, *, reason: str) -> RemoteGrant:
    """Revoke one grant now."""
    grant = uow.session.get(RemoteGrant, grant_id)
    if grant is None:
        raise NotFound("No such remote-access grant.")
    if grant.revoked_at is None:
        grant.revoked_at = uow.clock.now()
        grant.revoked_reason = plain_text("reason", reason, max_length=64)
        uow.session.flush()
        grantee = uow.session.get(StaffAccount, grant.account_id)
        audit_staff(
            uow,
            StaffEvent.REMOTE_REVOKED,
            grantee,
            resource=_resource(grant),
            details={"reason": grant.revoked_reason},
        )
    return grant


def revoke_all_grants(uow: UnitOfWork, account_id: uuid.UUID, *, reason: str) -> int:
    """Revoke every unrevoked grant of an account; returns how many."""
    result = uow.session.execute(
        update(RemoteGrant)
        .where(RemoteGrant.account_id == account_id, RemoteGrant.revoked_at.is_(None))
        .values(revoked_at=uow.clock.now(), revoked_reason=reason[:64])
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def active_grants(uow: UnitOfWork) -> Sequence[RemoteGrant]:
    """Every grant active now (both approvals, not revoked, not expired), soonest end first."""
    return uow.session.scalars(
        select(RemoteGrant)
        .join(StaffAccount, StaffAccount.id == RemoteGrant.account_id)
        .where(
            StaffAccount.status == AccountStatus.ACTIVE.value,
            RemoteGrant.revoked_at.is_(None),
            RemoteGrant.manager_approved_by.is_not(None),
            RemoteGrant.techops_approved_by.is_not(None),
            RemoteGrant.expires_at > uow.clock.now(),
        )
        .order_by(RemoteGrant.expires_at, RemoteGrant.id)
    ).all()


def grants_of(uow: UnitOfWork, account_id: uuid.UUID) -> Sequence[RemoteGrant]:
    """Every grant of an account, newest first."""
    return uow.session.scalars(
        select(RemoteGrant)
        .where(RemoteGrant.account_id == account_id)
        .order_by(RemoteGrant.requested_at.desc())
    ).all()


def awaiting_approval(uow: UnitOfWork) -> list[RemoteGrant]:
    """Every current grant still missing an approval (the system's queue, not one person's)."""
    now = uow.clock.now()
    return list(
        uow.session.scalars(
            select(RemoteGrant).where(
                RemoteGrant.revoked_at.is_(None),
                RemoteGrant.expires_at > now,
                or_(
                    RemoteGrant.manager_approved_by.is_(None),
                    RemoteGrant.techops_approved_by.is_(None),
                ),
            )
        ).all()
    )


def pending_for(
    uow: UnitOfWork, approver: StaffAccount, approver_permissions: Collection[Permission]
) -> list[RemoteGrant]:
    """Grants waiting for an approval this person may give."""
    now = uow.clock.now()
    rows = uow.session.scalars(
        select(RemoteGrant).where(RemoteGrant.revoked_at.is_(None), RemoteGrant.expires_at > now)
    ).all()
    waiting: list[RemoteGrant] = []
    for grant in rows:
        if grant.account_id == approver.id or approver.id in (
            grant.manager_approved_by,
            grant.techops_approved_by,
        ):
            continue
        grantee = uow.session.get(StaffAccount, grant.account_id)
        as_manager = grantee is not None and grantee.line_manager_id == approver.id
        if (as_manager and grant.manager_approved_by is None) or (
            StaffPermission.REMOTE_APPROVE in approver_permissions
            and grant.techops_approved_by is None
        ):
            waiting.append(grant)
    return waiting
