"""Staff administration in the console: the list of accounts, a new account, a new
maintenance account, and the account page (IS-SENS-NEED, IS-SENS-VET, IS-AC-MAINT, DP-AWARE).

Thin over the same services as ``/api/staff``, with the same permission per action:
reading needs ``staff:read`` (the ISO, the DPO, the director, technical operations),
creating ``staff:create`` (the ISO), a maintenance account ``staff:maintenance`` (the ISO
and technical operations). Neither the API's list nor its account read is audited, so
neither page is. Accounts are addressed by username. A new account's one-time password
is the answer to the form itself (never a redirect, a URL, a log line or an audit detail),
so it is shown once. The account page's actions are in :mod:`admin_actions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.staff import service_accounts, service_lifecycle
from klaremont.staff.errors import VettingRequired
from klaremont.staff.permissions import Role, StaffPermission
from klaremont.staff.web.admin_views import (
    DONE_WORDS,
    PersonRow,
    draw_one_time,
    draw_person,
    manager_choices,
    manager_id,
    people_rows,
    person_view,
)
from klaremont.staff.web.admin_words import (
    JOB_ROLES,
    ROLE_WORDS,
    STATUS_WORDS,
    PeopleStatus,
    day_start,
    grade,
    known_role,
    parse_day,
    said,
    today_iso,
    window_words,
)
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, PageStaff, form_page
from klaremont.web.render import render

if TYPE_CHECKING:
    from datetime import date

    from klaremont.platform import UnitOfWork
    from klaremont.staff.service_accounts import CreatedAccount

router = APIRouter(prefix="/staff", include_in_schema=False)
E = TypeVar("E", bound=StrEnum)

ReadPage = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_READ, page=True))]
CreatePage = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_CREATE, page=True))]
MaintainPage = Annotated[
    StaffPrincipal, Depends(require(StaffPermission.STAFF_MAINTENANCE, page=True))
]
FILTER_LABELS = {"status": "Status", "role": "Role"}
NEW_LABELS = {
    "username": "Username",
    "full_name": "Full name",
    "work_email": "Work e-mail",
    "job_role": "Job role",
    "line_manager": "Line manager",
    "line_manager_id": "Line manager",
    "job_title": "Job title",
    "seniority": "Seniority grade",
    "vetted_on": "Background check completed on",
    "training_on": "Data-protection training completed on",
}
MAINTENANCE_LABELS = {
    "username": "Username",
    "full_name": "Full name",
    "work_email": "Contact e-mail",
    "hours": "Open for (hours from now)",
}


def choice(value: str, enum: type[E], field: str, words: str) -> E:
    """``value`` as a member of ``enum``, or :class:`ValidationFailed` naming the field."""
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed.single(field, f"must be one of {words}") from None


def by(staff: StaffPrincipal) -> str:
    """Who acted, as the services record it (the API's form)."""
    return f"staff:{staff.username}"


# ---------------------------------------------------------------------- the list
@dataclass(frozen=True)
class PeopleFilters:
    """The list's filters, checked."""

    status: PeopleStatus | None = None
    role: Role | None = None

    def wants(self, row: PersonRow) -> bool:
        """True when the row passes both filters (a role: the job role or one held)."""
        if self.status is not None and row.status is not self.status:
            return False
        return self.role is None or (
            self.role.value == row.job_role_value or self.role.value in row.roles
        )


def _filters(request: Request) -> PeopleFilters:
    query = request.query_params
    status = role = None
    if query.get("status"):
        words = ", ".join(w.lower() for w in STATUS_WORDS.values())
        status = choice(query["status"], PeopleStatus, "status", words)
    if query.get("role"):
        role = choice(query["role"], Role, "role", "the roles listed")
    return PeopleFilters(status, role)


@router.get("/people")
def people_page(request: Request, staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """Every account: role, manager, status, vetting, training and last sign-in."""
    try:
        filters = _filters(request)
    except ValidationFailed as exc:
        bad = exc.problems[0].field if exc.problems else None
        return _people(staff, PeopleFilters(), [], said(exc, FILTER_LABELS), bad)
    rows = [row for row in people_rows(uow) if filters.wants(row)]
    return _people(staff, filters, rows)


def _people(
    staff: StaffPrincipal,
    filters: PeopleFilters,
    rows: list[PersonRow],
    error: str | None = None,
    bad: str | None = None,
) -> HTMLResponse:
    held = {str(p) for p in staff.permissions}
    return render(
        "staff/people.html",
        status_code=422 if error else 200,
        staff=staff,
        filters=filters,
        rows=rows,
        statuses=STATUS_WORDS,
        roles=ROLE_WORDS,
        error=error,
        bad=bad,
        can_create=StaffPermission.STAFF_CREATE.value in held,
        can_maintain=StaffPermission.STAFF_MAINTENANCE.value in held,
    )


# ---------------------------------------------------------------------- a new account
def _new_form(
    staff: StaffPrincipal | PageStaff | None,
    managers: list[tuple[str, str]],
    today: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        "staff/people_new.html",
        status_code=status_code,
        staff=staff,
        roles=[(role.value, ROLE_WORDS[role]) for role in JOB_ROLES],
        managers=managers,
        today=today,
        error=error,
    )


def _new_again(retry: FormRetry) -> HTMLResponse:
    managers, today = retry.read(lambda uow: (manager_choices(uow), today_iso(uow)))
    return _new_form(retry.staff, managers, today, error="; ".join(retry.errors), status_code=422)


@router.get("/people/new")
def new_person_page(staff: CreatePage, uow: UowDep) -> HTMLResponse:
    """The form for a new staff account."""
    return _new_form(staff, manager_choices(uow), today_iso(uow))


def check_email(text: str, field: str = "work_email") -> str:
    """A plausible e-mail address (name@domain), trimmed."""
    value = text.strip()
    name, _, domain = value.partition("@")
    if not name or "." not in domain or any(c.isspace() for c in value) or "@" in domain:
        raise ValidationFailed.single(field, "must be an e-mail address such as name@example.com")
    return value


def _past(uow: UnitOfWork, field: str, text: str) -> date | None:
    day = parse_day(field, text, required=False)
    if day is not None and day.isoformat() > today_iso(uow):
        raise ValidationFailed.single(field, "must not be in the future")
    return day


@router.post("/people/new")
@form_page(_new_again, NEW_LABELS)
def create_person(
    staff: CreatePage,
    uow: UowDep,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    full_name: Annotated[str, Form(min_length=1, max_length=200)],
    work_email: Annotated[str, Form(min_length=1, max_length=254)],
    job_role: Annotated[str, Form(min_length=1, max_length=32)],
    line_manager: Annotated[str, Form(max_length=64)] = "",
    vetted_on: Annotated[str, Form(max_length=10)] = "",
    training_on: Annotated[str, Form(max_length=10)] = "",
    job_title: Annotated[str, Form(max_length=100)] = "",
    seniority: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Create the account with its job role; the answer shows the one-time password once."""
    try:
        role = choice(job_role, Role, "job_role", "the job roles listed")
        if role not in JOB_ROLES:
            raise ValidationFailed.single("job_role", "must be one of the job roles listed")
        trained = _past(uow, "training_on", training_on)
        created = service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username=username,
                full_name=full_name,
                work_email=check_email(work_email),
                job_role=role,
                line_manager_id=manager_id(uow, line_manager),
                vetted_on=_past(uow, "vetted_on", vetted_on),
                training_completed_at=day_start(trained) if trained else None,
                job_title=job_title or None,
                seniority=grade(seniority),
            ),
            created_by=by(staff),
        )
    except KlaremontError as exc:
        uow.session.rollback()
        managers, today = manager_choices(uow), today_iso(uow)
        finish(uow)
        error = said(exc, NEW_LABELS, known_role(job_role))
        if isinstance(exc, VettingRequired):
            error += " Enter the date of their background check, or choose another job role."
        return _new_form(staff, managers, today, error=error, status_code=exc.status)
    return _one_time(uow, staff, created, "Account created")


def _one_time(
    uow: UnitOfWork, staff: StaffPrincipal, created: CreatedAccount, heading: str
) -> HTMLResponse:
    """Commit, then the page showing the new account's one-time password (once)."""
    account = created.account
    username, full_name, ends = account.username, account.full_name, account.expires_at
    window = window_words(account.created_at, ends) if ends else None
    finish(uow)
    return draw_one_time(
        staff,
        f"{heading}: {username}",
        username,
        full_name,
        created.one_time_password or "",
        window=window,
    )


# ---------------------------------------------------------------------- a maintenance account
def _maintenance_form(
    staff: StaffPrincipal | PageStaff | None,
    max_hours: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        "staff/people_maintenance.html",
        status_code=status_code,
        staff=staff,
        max_hours=max_hours,
        error=error,
    )


def _max_hours(uow: UnitOfWork) -> int:
    return int(uow.policy.accounts.maintenance_max_hours)


def _maintenance_again(retry: FormRetry) -> HTMLResponse:
    limit = retry.read(_max_hours)
    return _maintenance_form(retry.staff, limit, error="; ".join(retry.errors), status_code=422)


@router.get("/people/maintenance/new")
def new_maintenance_page(staff: MaintainPage, uow: UowDep) -> HTMLResponse:
    """The form for a time-boxed maintenance account (IS-AC-MAINT)."""
    return _maintenance_form(staff, _max_hours(uow))


@router.post("/people/maintenance/new")
@form_page(_maintenance_again, MAINTENANCE_LABELS)
def create_maintenance(
    staff: MaintainPage,
    uow: UowDep,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    full_name: Annotated[str, Form(min_length=1, max_length=200)],
    work_email: Annotated[str, Form(min_length=1, max_length=254)],
    hours: Annotated[str, Form(min_length=1, max_length=3)],
) -> Response:
    """Open a maintenance account from now for ``hours``; it disables itself after."""
    limit = _max_hours(uow)
    try:
        if not hours.strip().isdigit() or not 1 <= int(hours) <= limit:
            raise ValidationFailed.single("hours", f"must be a whole number from 1 to {limit}")
        created = service_lifecycle.create_maintenance_account(
            uow,
            username=username,
            full_name=full_name,
            work_email=check_email(work_email),
            hours=int(hours),
            sponsor_id=staff.account_id,
            created_by=by(staff),
        )
    except KlaremontError as exc:
        uow.session.rollback()
        finish(uow)
        error = said(exc, MAINTENANCE_LABELS)
        return _maintenance_form(staff, limit, error=error, status_code=exc.status)
    return _one_time(uow, staff, created, "Maintenance account created")


# ---------------------------------------------------------------------- the account page
@router.get("/people/{username}")
def person_page(username: str, staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One account: details, roles, remote access, and the actions this person may take."""
    view = person_view(uow, username, staff.account_id)
    return draw_person(staff, username, view, notice=DONE_WORDS.get(done))
