"""Staff administration API under ``/api/staff`` (and, merged in, the staff console pages).

Each route names its permission with ``require(Permission.X)``; the ISO holds most of
them, technical operations unlock accounts and create maintenance accounts. Object rules
live in the services: nobody changes their own roles, unlocks or offboards themselves.

The console pages (``/staff/...``) live in :mod:`klaremont.staff.web.pages`; the app
factory discovers routers in both ``klaremont.web.api`` and ``klaremont.web.pages``.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Response

from klaremont.staff import (
    service_accounts,
    service_job,
    service_lifecycle,
    service_passwords,
    service_remote,
)
from klaremont.staff import service_review as review
from klaremont.staff.permissions import Permission, Role, StaffPermission
from klaremont.staff.schemas import (
    CreatedStaffOut,
    GrantOut,
    JobIn,
    LineManagerIn,
    MaintenanceCreate,
    OffboardOut,
    OneTimePasswordOut,
    ReasonIn,
    ReviewOut,
    RoleIn,
    SignOffIn,
    SignOffOut,
    StaffCreate,
    StaffOut,
    TrainingIn,
    VettingIn,
)
from klaremont.staff.web.auth_api import grant_out
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import StaffAccount

router = APIRouter(prefix="/api/staff", tags=["staff"])
P = Permission


Reader = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_READ))]
Creator = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_CREATE))]
Updater = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_UPDATE))]
RoleAdmin = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_ROLES))]
VettingAdmin = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_VETTING))]
Offboarder = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_OFFBOARD))]
Unlocker = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_UNLOCK))]
Resetter = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_RESET_PASSWORD))]
Maintainer = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_MAINTENANCE))]
Reviewer = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_REVIEW))]
SignOff = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_REVIEW_SIGNOFF))]
RemoteRevoker = Annotated[StaffPrincipal, Depends(require(StaffPermission.REMOTE_REVOKE))]


def staff_out(uow: UnitOfWork, account: StaffAccount) -> StaffOut:
    """An account as administrators see it."""
    return StaffOut(
        id=account.id,
        username=account.username,
        full_name=account.full_name or "",
        status=account.status,
        kind=account.kind,
        job_role=Role(account.job_role),
        job_title=account.job_title,
        seniority=account.seniority,
        roles=sorted(service_accounts.roles_of(uow, account.id)),
        line_manager_id=account.line_manager_id,
        locked=account.locked_at is not None,
        last_login_at=account.last_login_at,
        password_changed_at=account.password_changed_at,
        vetted_on=account.vetted_on,
        training_completed_at=account.training_completed_at,
        expires_at=account.expires_at,
        created_at=account.created_at,
    )


def _by(principal: StaffPrincipal) -> str:
    return f"staff:{principal.account.username}"


@router.get("", response_model=list[StaffOut])
def list_staff(_: Reader, uow: UowDep) -> list[StaffOut]:
    """Every staff account."""
    return [staff_out(uow, a) for a in service_accounts.list_accounts(uow)]


@router.post("", response_model=CreatedStaffOut, status_code=201)
def create_staff(body: StaffCreate, who: Creator, uow: UowDep) -> CreatedStaffOut:
    """Create an account with its job role; the one-time password is shown once."""
    created = service_accounts.create_account(
        uow,
        service_accounts.NewAccount(
            username=body.username,
            full_name=body.full_name,
            work_email=body.work_email,
            job_role=body.job_role,
            line_manager_id=body.line_manager_id,
            vetted_on=body.vetted_on,
            training_completed_at=body.training_completed_at,
            job_title=body.job_title,
            seniority=body.seniority,
        ),
        created_by=_by(who),
    )
    finish(uow)
    return CreatedStaffOut(
        account=staff_out(uow, created.account), one_time_password=created.one_time_password or ""
    )


@router.get("/training-overdue", response_model=list[StaffOut])
def training_overdue(_: Reader, uow: UowDep) -> list[StaffOut]:
    """Active accounts whose data-protection training is missing or over a year old (DP-AWARE)."""
    return [staff_out(uow, a) for a in service_accounts.training_overdue(uow)]


@router.post("/maintenance", response_model=CreatedStaffOut, status_code=201)
def create_maintenance(body: MaintenanceCreate, who: Maintainer, uow: UowDep) -> CreatedStaffOut:
    """A time-boxed remote maintenance account that disables itself (IS-AC-MAINT)."""
    created = service_lifecycle.create_maintenance_account(
        uow,
        username=body.username,
        full_name=body.full_name,
        work_email=body.work_email,
        hours=body.hours,
        sponsor_id=who.account.id,
        created_by=_by(who),
    )
    finish(uow)
    return CreatedStaffOut(
        account=staff_out(uow, created.account), one_time_password=created.one_time_password or ""
    )


@router.get("/access-review", response_model=ReviewOut)
def access_review(_: Reviewer, uow: UowDep) -> ReviewOut:
    """The access review report (IS-AC-REVIEW)."""
    report = review.build_report(uow)
    review.record_export(uow, report, "json")
    return ReviewOut(
        generated_at=report.generated_at,
        digest=report.digest,
        flagged=report.flagged,
        last_signed_at=report.last_signed_at,
        last_signed_by=report.last_signed_by,
        next_due=report.next_due,
        flag_counts=report.flag_counts,
        rows=list(report.rows),
    )


@router.post("/access-review/sign-off", response_model=SignOffOut, status_code=201)
def sign_off_review(body: SignOffIn, who: SignOff, uow: UowDep) -> SignOffOut:
    """Sign off the report with this digest."""
    signed = review.sign_off(uow, who.account, digest=body.digest, notes=body.notes)
    finish(uow)
    return SignOffOut(
        id=signed.id,
        signed_at=signed.signed_at,
        accounts_reviewed=signed.accounts_reviewed,
        accounts_flagged=signed.accounts_flagged,
        digest=signed.report_sha256,
    )


@router.post("/remote-grants/{grant_id}/revoke", response_model=GrantOut)
def revoke_remote_grant(
    grant_id: uuid.UUID, body: ReasonIn, _: RemoteRevoker, uow: UowDep
) -> GrantOut:
    """Revoke a remote-access grant now."""
    grant = service_remote.revoke_grant(uow, grant_id, reason=body.reason)
    finish(uow)
    return grant_out(uow, grant)


# "/{account_id:uuid}": only an id matches, so "/maintenance" and the other named routes
# above are never taken for an account (a GET there is a 405, not a lookup of "maintenance").
@router.get("/{account_id:uuid}", response_model=StaffOut)
def get_staff(account_id: uuid.UUID, _: Reader, uow: UowDep) -> StaffOut:
    """One staff account."""
    return staff_out(uow, service_accounts.get_account(uow, account_id))


@router.post("/{account_id:uuid}/roles", response_model=StaffOut)
def grant_role(account_id: uuid.UUID, body: RoleIn, who: RoleAdmin, uow: UowDep) -> StaffOut:
    """Grant a role (vetting first for roles that read personal or card data)."""
    service_accounts.grant_role(
        uow, account_id, body.role, granted_by=_by(who), granter_id=who.account.id
    )
    finish(uow)
    return staff_out(uow, service_accounts.get_account(uow, account_id))


@router.delete("/{account_id:uuid}/roles/{role}", response_model=StaffOut)
def revoke_role(account_id: uuid.UUID, role: Role, who: RoleAdmin, uow: UowDep) -> StaffOut:
    """Revoke a role."""
    service_accounts.revoke_role(
        uow, account_id, role, revoked_by=_by(who), revoker_id=who.account.id
    )
    finish(uow)
    return staff_out(uow, service_accounts.get_account(uow, account_id))


@router.post("/{account_id:uuid}/vetting", response_model=StaffOut)
def record_vetting(
    account_id: uuid.UUID, body: VettingIn, who: VettingAdmin, uow: UowDep
) -> StaffOut:
    """Record a background check (IS-SENS-VET)."""
    account = service_accounts.record_vetting(uow, account_id, body.vetted_on, by=_by(who))
    return staff_out(uow, account)


@router.post("/{account_id:uuid}/training", response_model=StaffOut)
def record_training(
    account_id: uuid.UUID, body: TrainingIn, who: VettingAdmin, uow: UowDep
) -> StaffOut:
    """Record data-protection training and policy acknowledgement (DP-AWARE)."""
    account = service_accounts.record_training(uow, account_id, body.completed_at, by=_by(who))
    return staff_out(uow, account)


@router.put("/{account_id:uuid}/job", response_model=StaffOut)
def set_job(account_id: uuid.UUID, body: JobIn, who: Updater, uow: UowDep) -> StaffOut:
    """Record the job title and seniority grade (who stands in for an incident seat)."""
    account = service_accounts.get_account(uow, account_id)
    service_job.set_job(
        uow, account, job_title=body.job_title, seniority=body.seniority, by=_by(who)
    )
    return staff_out(uow, account)


@router.put("/{account_id:uuid}/line-manager", response_model=StaffOut)
def set_line_manager(
    account_id: uuid.UUID, body: LineManagerIn, who: Updater, uow: UowDep
) -> StaffOut:
    """Change or clear the line manager."""
    account = service_accounts.set_line_manager(uow, account_id, body.line_manager_id, by=_by(who))
    return staff_out(uow, account)


@router.post("/{account_id:uuid}/disable", response_model=StaffOut)
def disable(account_id: uuid.UUID, body: ReasonIn, who: Updater, uow: UowDep) -> StaffOut:
    """Disable an account now; its sessions end at once."""
    account = service_accounts.get_account(uow, account_id)
    service_lifecycle.disable_account(uow, account, reason=body.reason, by=_by(who))
    finish(uow)
    return staff_out(uow, account)


@router.post("/{account_id:uuid}/enable", response_model=StaffOut)
def enable(account_id: uuid.UUID, who: Updater, uow: UowDep) -> StaffOut:
    """Enable a disabled account again."""
    account = service_lifecycle.enable_account(uow, account_id, by=_by(who))
    finish(uow)
    return staff_out(uow, account)


@router.post("/{account_id:uuid}/offboard", response_model=OffboardOut)
def offboard(account_id: uuid.UUID, who: Offboarder, uow: UowDep) -> OffboardOut:
    """A leaver: revoke sessions, password, tokens, remote access, MFA and roles at once."""
    report = service_lifecycle.offboard(uow, account_id, by=_by(who), offboarder_id=who.account.id)
    finish(uow)
    return OffboardOut(**asdict(report))


@router.post("/{account_id:uuid}/unlock", response_model=StaffOut)
def unlock(account_id: uuid.UUID, who: Unlocker, uow: UowDep) -> StaffOut:
    """Lift a lockout."""
    service_lifecycle.unlock_account(uow, account_id, by=_by(who), unlocker_id=who.account.id)
    finish(uow)
    return staff_out(uow, service_accounts.get_account(uow, account_id))


@router.post("/{account_id:uuid}/reset-password", response_model=OneTimePasswordOut)
def reset_password(account_id: uuid.UUID, who: Resetter, uow: UowDep) -> OneTimePasswordOut:
    """Set a one-time password (shown once), unlock, and end every session."""
    account = service_accounts.get_account(uow, account_id)
    one_time = service_passwords.admin_reset(uow, account, by=_by(who), resetter_id=who.account.id)
    finish(uow)
    return OneTimePasswordOut(one_time_password=one_time)


@router.post("/{account_id:uuid}/mfa-reset", status_code=204)
def reset_mfa(account_id: uuid.UUID, who: Resetter, uow: UowDep) -> Response:
    """Remove an account's authenticator (lost device); its sessions end."""
    service_lifecycle.reset_mfa(uow, account_id, by=_by(who))
    finish(uow)
    return Response(status_code=204)


# The staff console pages and /static, merged in (see the module docstring).
