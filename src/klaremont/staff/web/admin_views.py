"""What the staff administration pages show, as plain values read through the staff services.

A row of the list and the account page are built while the request's unit of work is open
and hold only strings, dates and flags, so a form drawn again after that unit ended (a
refused input, :mod:`klaremont.web.form_pages`) never reads the database. Accounts are
named by username, never by id; the words are :mod:`admin_words`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from klaremont.clock import uk_date as uk_day_of
from klaremont.display import uk_date, uk_datetime
from klaremont.errors import ValidationFailed
from klaremont.staff import service_accounts, service_mfa, service_remote
from klaremont.staff.lookup import find_account
from klaremont.staff.models import AccountKind, AccountStatus
from klaremont.staff.permissions import Role, StaffPermission, is_data_role
from klaremont.staff.web.admin_words import (
    JOB_ROLES,
    ROLE_WORDS,
    PeopleStatus,
    grant_state,
    role_words,
    status_of,
    today_iso,
    training_words,
    window_words,
)
from klaremont.web.render import render

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from fastapi.responses import HTMLResponse

    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import StaffAccount
    from klaremont.staff.service_lifecycle import OffboardReport
    from klaremont.staff.web.principal import StaffPrincipal
    from klaremont.web.form_pages import PageStaff


@dataclass(frozen=True)
class PersonRow:
    """One account as the list shows it."""

    username: str
    full_name: str
    job_role: str
    job_role_value: str
    job_title: str | None
    seniority: int | None
    manager: str | None
    status: PeopleStatus
    status_words: str
    vetting: str
    training: str
    training_late: bool
    last_sign_in: str
    window: str | None
    roles: frozenset[str] = field(default_factory=frozenset)


def person_row(
    uow: UnitOfWork, account: StaffAccount, managers: Mapping[uuid.UUID, str], now: datetime
) -> PersonRow:
    """The list's row for ``account`` (``managers``: usernames by account id)."""
    status, words = status_of(account, now)
    training, late = training_words(account, now)
    return PersonRow(
        username=account.username,
        full_name=account.full_name or "",
        job_role=role_words(account.job_role),
        job_role_value=account.job_role,
        job_title=account.job_title,
        seniority=account.seniority,
        manager=managers.get(account.line_manager_id) if account.line_manager_id else None,
        status=status,
        status_words=words,
        vetting=f"Vetted {uk_date(account.vetted_on)}" if account.vetted_on else "Not vetted",
        training=training,
        training_late=late,
        last_sign_in=uk_datetime(account.last_login_at) if account.last_login_at else "Never",
        window=_window(account),
        roles=frozenset(r.value for r in service_accounts.roles_of(uow, account.id)),
    )


def _window(account: StaffAccount) -> str | None:
    """A maintenance account's window in words."""
    if account.kind != AccountKind.MAINTENANCE.value or account.expires_at is None:
        return None
    return window_words(account.created_at, account.expires_at)


def people_rows(uow: UnitOfWork) -> list[PersonRow]:
    """Every account's row, in username order."""
    accounts = service_accounts.list_accounts(uow)
    managers = {a.id: a.username for a in accounts}
    now = uow.clock.now()
    return [person_row(uow, account, managers, now) for account in accounts]


@dataclass(frozen=True)
class GrantRow:
    """A remote-access grant as the account page shows it."""

    ref: str  # the grant's id, only ever in a hidden form field
    requested: str
    reason: str
    state: str
    revocable: bool


@dataclass(frozen=True)
class PersonView:
    """The account page's content."""

    row: PersonRow
    kind: str
    maintenance: bool
    open: bool  # not offboarded
    active: bool  # may hold roles
    locked: bool
    disabled: bool
    status_reason: str | None
    created: str
    password_changed: str
    must_change: bool
    authenticator: bool
    roles: list[tuple[str, str]]
    grantable: list[tuple[str, str, bool]]
    managers: list[tuple[str, str]]
    grants: list[GrantRow]
    own: bool
    vetted_on: str  # for the date field: YYYY-MM-DD or ""
    today: str  # the latest date a date field takes: YYYY-MM-DD


def person_view(uow: UnitOfWork, username: str, viewer_id: uuid.UUID | None) -> PersonView:
    """The account page for ``username`` (:class:`~klaremont.errors.NotFound` if none)."""
    account = service_accounts.account_by_username(uow, username)
    now = uow.clock.now()
    manager = (
        service_accounts.get_account(uow, account.line_manager_id).username
        if account.line_manager_id
        else None
    )
    managers = {account.line_manager_id: manager} if account.line_manager_id and manager else {}
    row = person_row(uow, account, managers, now)
    held = service_accounts.roles_of(uow, account.id)
    maintenance = account.kind == AccountKind.MAINTENANCE.value
    vetted = account.vetted_on is not None and account.vetted_on <= uk_day_of(now)
    offerable = (Role.MAINTENANCE,) if maintenance else JOB_ROLES
    grants = []
    for grant in service_remote.grants_of(uow, account.id):
        state, revocable = grant_state(grant, now)
        grants.append(
            GrantRow(str(grant.id), uk_date(grant.requested_at), grant.reason, state, revocable)
        )
    return PersonView(
        row=row,
        kind="Maintenance account" if maintenance else "Staff account",
        maintenance=maintenance,
        open=account.status != AccountStatus.OFFBOARDED.value,
        active=account.status == AccountStatus.ACTIVE.value,
        locked=row.status is PeopleStatus.LOCKED,
        disabled=account.status == AccountStatus.DISABLED.value,
        status_reason=account.status_reason,
        created=f"{uk_datetime(account.created_at)} by {_who(account.created_by)}",
        password_changed=uk_datetime(account.password_changed_at),
        must_change=account.password_must_change,
        authenticator=service_mfa.enrolment_of(uow, account.id) is not None,
        roles=[(r.value, ROLE_WORDS[r]) for r in sorted(held)],
        grantable=[
            (r.value, ROLE_WORDS[r], is_data_role(r) and not vetted)
            for r in offerable
            if r not in held
        ],
        managers=manager_choices(uow, exclude=account.username),
        grants=grants,
        own=viewer_id == account.id,
        vetted_on=account.vetted_on.isoformat() if account.vetted_on else "",
        today=today_iso(uow),
    )


def _who(recorded: str) -> str:
    """``staff:alice`` -> ``alice``; a system actor as recorded."""
    return recorded.split(":", 1)[1] if recorded.startswith("staff:") else recorded


def manager_choices(uow: UnitOfWork, *, exclude: str | None = None) -> list[tuple[str, str]]:
    """Active accounts that may be a line manager: (username, "Full Name (username)")."""
    accounts: Sequence[StaffAccount] = service_accounts.list_accounts(uow, include_closed=False)
    return [
        (a.username, f"{a.full_name or a.username} ({a.username})")
        for a in accounts
        if a.username != exclude and a.kind == AccountKind.REGULAR.value
    ]


def manager_id(uow: UnitOfWork, username: str) -> uuid.UUID | None:
    """The account id of the chosen line manager ("" for none), refusing an unknown one."""
    if not username.strip():
        return None
    found = find_account(uow, username)
    if found is None:
        raise ValidationFailed.single("line_manager", "must be one of the accounts offered")
    return found.id


#: What the account page says after an action went through (``?done=``).
DONE_WORDS = {
    "granted": "Role granted.",
    "revoked": "Role removed.",
    "vetting": "Background check recorded.",
    "training": "Training recorded.",
    "manager": "Line manager set.",
    "job": "Job title and grade recorded.",
    "unlocked": "Account unlocked: they can sign in again now.",
    "not-locked": "The account was not locked.",
    "authenticator": (
        "Authenticator removed and every session ended: they enrol again from the office."
    ),
    "disabled": "Account disabled and every session ended.",
    "enabled": "Account enabled.",
    "remote-revoked": "Remote access revoked.",
}


def allowed_actions(permissions: frozenset[str], view: PersonView) -> list[str]:
    """The account-page forms this person may use on this account, in page order."""
    held = {str(p) for p in permissions}
    others = not view.own
    wanted = [
        ("unlock", StaffPermission.STAFF_UNLOCK, view.locked and others),
        ("reset-password", StaffPermission.STAFF_RESET_PASSWORD, view.open and others),
        ("reset-authenticator", StaffPermission.STAFF_RESET_PASSWORD, view.authenticator),
        ("vetting", StaffPermission.STAFF_VETTING, view.open),
        ("training", StaffPermission.STAFF_VETTING, view.open),
        ("line-manager", StaffPermission.STAFF_UPDATE, view.open),
        ("job", StaffPermission.STAFF_UPDATE, view.open),
        ("disable", StaffPermission.STAFF_UPDATE, view.active and others),
        ("enable", StaffPermission.STAFF_UPDATE, view.disabled),
        ("offboard", StaffPermission.STAFF_OFFBOARD, view.open and others),
    ]
    return [name for name, permission, shown in wanted if shown and permission.value in held]


def draw_person(
    staff: StaffPrincipal | PageStaff | None,
    username: str,
    view: PersonView | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    only: str | None = None,
) -> HTMLResponse:
    """The account page (or, when the account cannot be read, only the form posted)."""
    held = frozenset(str(p) for p in staff.permissions) if staff is not None else frozenset()
    return render(
        "staff/person.html",
        status_code=status_code,
        staff=staff,
        username=view.row.username if view is not None else username,
        view=view,
        error=error,
        notice=notice,
        only=only,
        today=view.today if view is not None else "",
        actions=allowed_actions(held, view) if view is not None else [],
        can={
            "roles": StaffPermission.STAFF_ROLES.value in held,
            "revoke_remote": StaffPermission.REMOTE_REVOKE.value in held,
        },
    )


def draw_one_time(
    staff: StaffPrincipal,
    heading: str,
    username: str,
    full_name: str | None,
    one_time_password: str,
    *,
    window: str | None,
) -> HTMLResponse:
    """The page showing a one-time password: the answer to its form, so shown only once."""
    return render(
        "staff/people_password.html",
        staff=staff,
        heading=heading,
        username=username,
        full_name=full_name,
        one_time_password=one_time_password,
        window=window,
    )


def draw_offboarded(staff: StaffPrincipal, username: str, report: OffboardReport) -> HTMLResponse:
    """What offboarding revoked, said in words (IS-AC-LEAVER)."""
    roles = [role_words(r) for r in report.roles]
    return render(
        "staff/people_offboarded.html", staff=staff, username=username, report=report, roles=roles
    )
