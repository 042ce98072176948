"""Staff accounts and their roles (IS-PW-UNIQUE, IS-USE-CRED, IS-SENS-NEED, IS-SENS-VET, DP-AWARE).

Usernames are unique whatever their case; one work e-mail address, one account. A role
that reads personal or cardholder data is granted only to an account with a recorded
background check; nobody changes their own roles. Training and policy acknowledgement
dates feed the "who is overdue" report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from klaremont import plausible
from klaremont.audit.redaction import contains_pan
from klaremont.crypto.fields import blind_match
from klaremont.db.base import new_id
from klaremont.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from klaremont.staff.errors import VettingRequired
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.hashing import UNSET
from klaremont.staff.lookup import find_account, username_key
from klaremont.staff.models import AccountKind, AccountStatus, StaffAccount, StaffRole
from klaremont.staff.permissions import Permission, Role, is_data_role, permissions_of
from klaremont.staff.service_job import check_job_title, check_seniority
from klaremont.staff.service_passwords import (
    check_new_password,
    generate_one_time_password,
    hash_password,
    store_password,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from klaremont.platform import UnitOfWork

USERNAME_RULE = (
    "3 to 64 characters: letters, digits, '.', '_' or '-', starting and ending with a letter "
    "or digit"
)
_USERNAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]{1,62})[a-z0-9]")
TRAINING_VALID_DAYS = 365  # DP-AWARE: policy acknowledgement and training renewed yearly
NAME_MAX = 200


@dataclass(frozen=True)
class NewAccount:
    """What creating an account needs."""

    username: str
    full_name: str
    work_email: str
    job_role: Role
    line_manager_id: uuid.UUID | None = None
    password: str | None = None
    vetted_on: date | None = None
    training_completed_at: datetime | None = None
    kind: AccountKind = AccountKind.REGULAR
    expires_at: datetime | None = None
    job_title: str | None = None
    seniority: int | None = None


@dataclass(frozen=True)
class CreatedAccount:
    """The new account, and the one-time password when none was chosen (shown once)."""

    account: StaffAccount
    one_time_password: str | None


#: Names the console's own addresses use (``/staff/people/new``): an account so named
#: could not be reached there.
RESERVED_USERNAMES = frozenset({"new", "maintenance"})


def check_username(username: str) -> str:
    """The username trimmed, or :class:`ValidationFailed` naming the rule."""
    text = username.strip()
    if not _USERNAME.fullmatch(username_key(text)) or not text.isascii():
        raise ValidationFailed.single("username", f"must be {USERNAME_RULE}")
    if contains_pan(text):
        raise ValidationFailed.single("username", "must not look like a card number")
    if username_key(text) in RESERVED_USERNAMES:
        raise ValidationFailed.single("username", "is a word the console uses; choose another")
    return text


def get_account(uow: UnitOfWork, account_id: uuid.UUID) -> StaffAccount:
    """The account, or :class:`NotFound`."""
    account = uow.session.get(StaffAccount, account_id)
    if account is None:
        raise NotFound("No such staff account.")
    return account


def account_by_username(uow: UnitOfWork, username: str) -> StaffAccount:
    """The account with this username (any case), or :class:`NotFound`."""
    account = find_account(uow, username)
    if account is None:
        raise NotFound("No such staff account.")
    return account


def create_account(uow: UnitOfWork, new: NewAccount, *, created_by: str) -> CreatedAccount:
    """Create an account with its job role (granted now, vetting permitting)."""
    now = uow.clock.now()
    if new.vetted_on is not None:
        plausible.past_day("vetted_on", new.vetted_on, now.date())
    trained = (
        plausible.past_moment("training_completed_at", new.training_completed_at, now)
        if new.training_completed_at is not None
        else None
    )
    one_time = generate_one_time_password() if new.password is None else None
    # Argon2 and the new person's data key first, before this unit changes anything:
    # neither then holds the write lock.
    subject_id = new_id()
    uow.unlocked(lambda: uow.crypto.prepare(subject_id))
    hashed = hash_password(uow, one_time or new.password or "")
    username = check_username(new.username)
    full_name = new.full_name.strip()
    if not full_name or len(full_name) > NAME_MAX:
        raise ValidationFailed.single("full_name", f"must be 1 to {NAME_MAX} characters")
    job_title = check_job_title(new.job_title)
    seniority = check_seniority(new.seniority)
    if find_account(uow, username) is not None:
        raise Conflict("That username is taken (usernames are unique whatever their case).")
    existing = uow.session.scalars(
        select(StaffAccount.id).where(
            blind_match(StaffAccount.work_email, new.work_email, uow.session)
        )
    ).first()
    if existing is not None:
        raise Conflict("An account with that work e-mail exists: one person, one account.")
    manager = None
    if new.line_manager_id is not None:
        manager = get_account(uow, new.line_manager_id)
        if manager.status != AccountStatus.ACTIVE.value:
            raise ValidationFailed.single("line_manager_id", "must be an active account")
    now = uow.clock.now()
    account = StaffAccount(
        subject_id=subject_id,
        username=username,
        username_key=username_key(username),
        job_role=new.job_role.value,
        job_title=job_title,
        seniority=seniority,
        kind=new.kind.value,
        status=AccountStatus.ACTIVE.value,
        line_manager_id=new.line_manager_id,
        password_hash=UNSET,
        password_changed_at=now,
        created_at=now,
        created_by=created_by[:128],
        expires_at=new.expires_at,
        vetted_on=new.vetted_on,
        training_completed_at=trained,
    )
    account.full_name = full_name
    account.work_email = new.work_email.strip()
    uow.session.add(account)
    if one_time is not None:
        store_password(uow, account, one_time, one_time=True, hashed=hashed)
    else:
        password = new.password or ""
        check_new_password(uow, account, password)
        store_password(uow, account, password, one_time=False, hashed=hashed)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("That username or work e-mail is already in use.") from None
    event = (
        StaffEvent.MAINTENANCE_CREATED
        if new.kind is AccountKind.MAINTENANCE
        else StaffEvent.CREATED
    )
    audit_staff(
        uow,
        event,
        account,
        details={
            "job_role": new.job_role.value,
            "job_title": job_title,
            "seniority": seniority,
            "kind": new.kind.value,
            "expires_at": new.expires_at.isoformat() if new.expires_at else None,
            "line_manager": manager.username if manager is not None else None,
        },
    )
    grant_role(uow, account.id, new.job_role, granted_by=created_by)
    return CreatedAccount(account=account, one_time_password=one_time)


def roles_of(uow: UnitOfWork, account_id: uuid.UUID) -> frozenset[Role]:
    """The roles an account holds."""
    rows = uow.session.scalars(
        select(StaffRole.role).where(StaffRole.account_id == account_id)
    ).all()
    return frozenset(Role(r) for r in rows if r in Role.__members__.values())


def account_permissions(uow: UnitOfWork, account_id: uuid.UUID) -> frozenset[Permission]:
    """Every permission the account's roles give it."""
    return permissions_of(roles_of(uow, account_id))


def grant_role(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    role: Role,
    *,
    granted_by: str,
    granter_id: uuid.UUID | None = None,
) -> bool:
    """Grant ``role``; True when it was new. Refuses self-grants and unvetted data roles."""
    account = get_account(uow, account_id)
    if granter_id is not None and granter_id == account_id:
        raise PermissionDenied("Nobody may change their own roles.")
    if account.status != AccountStatus.ACTIVE.value:
        raise Conflict("Roles are granted to active accounts only.")
    maintenance = account.kind == AccountKind.MAINTENANCE.value
    if maintenance != (role is Role.MAINTENANCE):
        raise ValidationFailed.single(
            "role", "maintenance accounts hold the maintenance role only, and only they hold it"
        )
    if is_data_role(role) and (
        account.vetted_on is None or account.vetted_on > uow.clock.now().date()
    ):
        raise VettingRequired(
            f"The {role.value} role reads personal or cardholder data: record this person's "
            "background check (vetting date) before granting it."
        )
    if role in roles_of(uow, account_id):
        return False
    uow.session.add(
        StaffRole(
            account_id=account_id,
            role=role.value,
            granted_at=uow.clock.now(),
            granted_by=granted_by[:128],
        )
    )
    uow.session.flush()
    audit_staff(
        uow, StaffEvent.ROLE_GRANTED, account, details={"role": role.value, "by": granted_by}
    )
    return True


def revoke_role(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    role: Role,
    *,
    revoked_by: str,
    revoker_id: uuid.UUID | None = None,
) -> bool:
    """Revoke ``role``; True when it was held."""
    account = get_account(uow, account_id)
    if revoker_id is not None and revoker_id == account_id:
        raise PermissionDenied("Nobody may change their own roles.")
    row = uow.session.get(StaffRole, (account_id, role.value))
    if row is None:
        return False
    uow.session.delete(row)
    uow.session.flush()
    audit_staff(
        uow, StaffEvent.ROLE_REVOKED, account, details={"role": role.value, "by": revoked_by}
    )
    return True


def record_vetting(
    uow: UnitOfWork, account_id: uuid.UUID, vetted_on: date, *, by: str
) -> StaffAccount:
    """Record the date of a background check (IS-SENS-VET)."""
    plausible.past_day("vetted_on", vetted_on, uow.clock.now().date())
    account = get_account(uow, account_id)
    account.vetted_on = vetted_on
    uow.session.flush()
    audit_staff(
        uow, StaffEvent.UPDATED, account, details={"vetted_on": vetted_on.isoformat(), "by": by}
    )
    return account


def record_training(
    uow: UnitOfWork, account_id: uuid.UUID, completed_at: datetime, *, by: str
) -> StaffAccount:
    """Record a data-protection training and policy acknowledgement (DP-AWARE)."""
    completed_at = plausible.past_moment("completed_at", completed_at, uow.clock.now())
    account = get_account(uow, account_id)
    account.training_completed_at = completed_at
    uow.session.flush()
    audit_staff(
        uow, StaffEvent.UPDATED, account, details={"training": completed_at.isoformat(), "by": by}
    )
    return account


def set_line_manager(
    uow: UnitOfWork, account_id: uuid.UUID, manager_id: uuid.UUID | None, *, by: str
) -> StaffAccount:
    """Change (or clear) the line manager; a manager must be another, active account."""
    account = get_account(uow, account_id)
    if manager_id is not None:
        if manager_id == account_id:
            raise ValidationFailed.single("line_manager_id", "must be someone else")
        if get_account(uow, manager_id).status != AccountStatus.ACTIVE.value:
            raise ValidationFailed.single("line_manager_id", "must be an active account")
    account.line_manager_id = manager_id
    uow.session.flush()
    manager = get_account(uow, manager_id).username if manager_id is not None else None
    audit_staff(uow, StaffEvent.UPDATED, account, details={"line_manager": manager, "by": by})
    return account


def training_due(account: StaffAccount) -> datetime | None:
    """When the account's training falls due (``None``: never done, so due now)."""
    if account.training_completed_at is None:
        return None
    return account.training_completed_at + timedelta(days=TRAINING_VALID_DAYS)


def training_overdue(uow: UnitOfWork) -> list[StaffAccount]:
    """Active accounts whose training was never recorded or is older than a year (DP-AWARE)."""
    now = uow.clock.now()
    overdue = []
    for account in list_accounts(uow, include_closed=False):
        due = training_due(account)
        if due is None or due <= now:
            overdue.append(account)
    return overdue


def list_accounts(uow: UnitOfWork, *, include_closed: bool = True) -> Sequence[StaffAccount]:
    """Accounts in username order (offboarded ones only with ``include_closed``)."""
    statement = select(StaffAccount).order_by(StaffAccount.username_key)
    if not include_closed:
        statement = statement.where(StaffAccount.status == AccountStatus.ACTIVE.value)
    return uow.session.scalars(statement).all()
