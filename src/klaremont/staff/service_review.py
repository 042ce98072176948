"""Access review (IS-AC-REVIEW, IS-SENS-VET, DP-AWARE): every account, its access and its flags.

The report lists every account with its roles, last login, vetting and training dates,
and flags what a reviewer must look at: inactive, orphaned (no active line manager),
excessive (roles beyond the job), a data role without vetting, an expired password, a
maintenance account, a lock, overdue training, and live sessions from more than one
place at once (a credential-sharing signal, IS-USE-CRED). The reviewer signs off the
exact report they saw: its SHA-256 digest is recorded, and a sign-off of a report that
changed since is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from klaremont.errors import Conflict
from klaremont.spreadsheet import safe_cell
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.jobs import inactive_since
from klaremont.staff.models import AccessReview, AccountKind, AccountStatus, StaffAccount
from klaremont.staff.permissions import Role, excessive_roles, is_data_role, permissions_of
from klaremont.staff.service_accounts import list_accounts, roles_of, training_due
from klaremont.staff.service_passwords import password_expires_at
from klaremont.staff.service_sessions import live_sessions
from klaremont.staff.text import plain_text

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

NOTES_MAX = 2000


class Flag(StrEnum):
    """Something a reviewer must look at."""

    INACTIVE = "inactive"
    ORPHANED = "orphaned"
    EXCESSIVE = "excessive"
    UNVETTED_DATA_ROLE = "unvetted-data-role"
    PASSWORD_EXPIRED = "password-expired"  # noqa: S105 - a flag name
    MAINTENANCE = "maintenance"
    LOCKED = "locked"
    TRAINING_OVERDUE = "training-overdue"
    CONCURRENT_ORIGINS = "concurrent-origins"


@dataclass(frozen=True)
class ReviewRow:
    """One account as the reviewer sees it."""

    account_id: str
    username: str
    full_name: str
    status: str
    kind: str
    job_role: str
    roles: list[str]
    permissions: int
    line_manager: str | None
    last_login: str | None
    vetted_on: str | None
    training_completed: str | None
    password_expires: str
    expires_at: str | None
    flags: list[str]


@dataclass(frozen=True)
class ReviewReport:
    """The whole report and its digest."""

    generated_at: datetime
    rows: list[ReviewRow]
    digest: str
    last_signed_at: datetime | None = None
    last_signed_by: str | None = None
    next_due: datetime | None = None
    flag_counts: dict[str, int] = field(default_factory=dict)

    @property
    def flagged(self) -> int:
        """How many accounts carry at least one flag."""
        return sum(1 for row in self.rows if row.flags)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _flags(
    uow: UnitOfWork, account: StaffAccount, roles: frozenset[Role], manager: StaffAccount | None
) -> list[str]:
    if account.status == AccountStatus.OFFBOARDED.value:
        return []
    now = uow.clock.now()
    due = training_due(account)
    origins = {s.origin for s in live_sessions(uow, account.id) if s.expires_at > now}
    raised = {
        Flag.INACTIVE: account.status == AccountStatus.ACTIVE.value
        and inactive_since(uow, account) is not None,
        Flag.ORPHANED: manager is None or manager.status != AccountStatus.ACTIVE.value,
        Flag.EXCESSIVE: bool(excessive_roles(Role(account.job_role), roles)),
        Flag.UNVETTED_DATA_ROLE: account.vetted_on is None
        and any(is_data_role(role) for role in roles),
        Flag.PASSWORD_EXPIRED: now >= password_expires_at(uow, account),
        Flag.MAINTENANCE: account.kind == AccountKind.MAINTENANCE.value,
        Flag.LOCKED: account.locked_at is not None,
        Flag.TRAINING_OVERDUE: due is None or due <= now,
        Flag.CONCURRENT_ORIGINS: len(origins) > 1,
    }
    return [flag.value for flag in Flag if raised[flag]]


def build_report(uow: UnitOfWork) -> ReviewReport:
    """The access review report as of now."""
    accounts = list_accounts(uow)
    by_id = {account.id: account for account in accounts}
    rows: list[ReviewRow] = []
    for account in accounts:
        roles = roles_of(uow, account.id)
        manager = by_id.get(account.line_manager_id) if account.line_manager_id else None
        rows.append(
            ReviewRow(
                account_id=str(account.id),
                username=account.username,
                full_name=account.full_name or "",
                status=account.status,
                kind=account.kind,
                job_role=account.job_role,
                roles=sorted(role.value for role in roles),
                permissions=len(permissions_of(roles)),
                line_manager=manager.username if manager else None,
                last_login=_iso(account.last_login_at),
                vetted_on=_iso(account.vetted_on),
                training_completed=_iso(account.training_completed_at),
                password_expires=password_expires_at(uow, account).isoformat(),
                expires_at=_iso(account.expires_at),
                flags=_flags(uow, account, roles, manager),
            )
        )
    canonical = json.dumps([asdict(r) for r in rows], sort_keys=True, separators=(",", ":"))
    last = uow.session.scalars(select(AccessReview).order_by(AccessReview.signed_at.desc())).first()
    counts: dict[str, int] = {flag.value: 0 for flag in Flag}
    for row in rows:
        for flag in row.flags:
            counts[flag] += 1
    last_by = by_id.get(last.reviewer_id) if last else None
    return ReviewReport(
        generated_at=uow.clock.now(),
        rows=rows,
        digest=hashlib.sha256(canonical.encode()).hexdigest(),
        last_signed_at=last.signed_at if last else None,
        last_signed_by=last_by.username if last_by else None,
        next_due=(last.signed_at + timedelta(days=uow.policy.accounts.access_review_interval_days))
        if last
        else None,
        flag_counts=counts,
    )


CSV_COLUMNS = (
    "username",
    "full_name",
    "status",
    "kind",
    "job_role",
    "roles",
    "permissions",
    "line_manager",
    "last_login",
    "vetted_on",
    "training_completed",
    "password_expires",
    "expires_at",
    "flags",
)


def to_csv(report: ReviewReport) -> str:
    """The report as CSV (roles and flags joined with ``;``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        values = asdict(row)
        values["roles"] = ";".join(row.roles)
        values["flags"] = ";".join(row.flags)
        writer.writerow([safe_cell(values[column]) for column in CSV_COLUMNS])
    return out.getvalue()


_ENV = Environment(
    loader=PackageLoader("klaremont.staff", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def to_html(report: ReviewReport) -> str:
    """The report as one self-contained HTML document (styles inline, no external files)."""
    return _ENV.get_template("access_review_report.html").render(report=report, flags=list(Flag))


def record_export(uow: UnitOfWork, report: ReviewReport, fmt: str) -> None:
    """Audit that the report (which holds staff names) was read or exported."""
    audit_staff(
        uow,
        StaffEvent.REVIEW_EXPORTED,
        None,
        resource="staff:access-review",
        details={"format": fmt, "accounts": len(report.rows)},
    )


def sign_off(
    uow: UnitOfWork, reviewer: StaffAccount, *, digest: str, notes: str | None
) -> AccessReview:
    """Record the reviewer's sign-off of the report with this digest (the one they saw)."""
    if notes is not None:
        notes = plain_text("notes", notes, max_length=NOTES_MAX, min_length=0) or None
    report = build_report(uow)
    if digest != report.digest:
        raise Conflict(
            "The accounts changed since this report was produced; review the current one."
        )
    review = AccessReview(
        reviewer_id=reviewer.id,
        signed_at=uow.clock.now(),
        accounts_reviewed=len(report.rows),
        accounts_flagged=report.flagged,
        report_sha256=report.digest,
        notes=notes,
    )
    uow.session.add(review)
    uow.session.flush()
    audit_staff(
        uow,
        StaffEvent.REVIEW_SIGNED,
        reviewer,
        resource=f"access-review:{review.id}",
        details={"accounts": len(report.rows), "flagged": report.flagged},
    )
    return review
