"""How the staff administration pages say things: roles, an account's standing, training,
a maintenance window and a remote-access grant in words; dates typed into a form; a
service's refusal naming the field by its label. Plain functions over plain values.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

from klaremont.clock import UK_TIME
from klaremont.clock import uk_date as uk_day_of
from klaremont.display import uk_date, uk_datetime, uk_time
from klaremont.errors import FieldProblem, KlaremontError, ValidationFailed
from klaremont.staff import service_accounts
from klaremont.staff.errors import VettingRequired
from klaremont.staff.models import AccountStatus
from klaremont.staff.permissions import Role
from klaremont.staff.service_job import SENIORITY_RULE, check_seniority

if TYPE_CHECKING:
    from collections.abc import Mapping

    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import RemoteGrant, StaffAccount

ROLE_WORDS: dict[Role, str] = {
    Role.SUPPORT_AGENT: "Support agent",
    Role.MARKETING: "Marketing",
    Role.FINANCE: "Finance",
    Role.ENGINEER: "Engineer",
    Role.DPO: "Data protection officer",
    Role.ISO: "Information security officer",
    Role.DIRECTOR: "Director",
    Role.TECHNICAL_OPERATIONS: "Technical operations",
    Role.MAINTENANCE: "Maintenance (time-boxed)",
}
#: An access review's flags as the reviewer reads them.
FLAG_WORDS: dict[str, str] = {
    "inactive": "Not signed in for a long time",
    "orphaned": "No active line manager",
    "excessive": "Roles beyond the job",
    "unvetted-data-role": "Reads personal data, not vetted",
    "password-expired": "Password expired",
    "maintenance": "Maintenance account",
    "locked": "Locked",
    "training-overdue": "Training overdue",
    "concurrent-origins": "Signed in from two places at once",
}
#: The roles a regular account's job may be (maintenance accounts have their own form).
JOB_ROLES = tuple(role for role in Role if role is not Role.MAINTENANCE)
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class PeopleStatus(StrEnum):
    """An account's standing as the list filters it."""

    ACTIVE = "active"
    LOCKED = "locked"
    DISABLED = "disabled"
    LEFT = "left"


STATUS_WORDS = {
    PeopleStatus.ACTIVE: "Active",
    PeopleStatus.LOCKED: "Locked",
    PeopleStatus.DISABLED: "Disabled",
    PeopleStatus.LEFT: "Left",
}


def known_role(value: str) -> Role | None:
    """The role named ``value``, if it is one."""
    try:
        return Role(value)
    except ValueError:
        return None


def role_words(value: str) -> str:
    """A role said in words (an unknown stored value as plain words)."""
    try:
        return ROLE_WORDS[Role(value)]
    except ValueError:
        return value.replace("_", " ").capitalize()


def today_iso(uow: UnitOfWork) -> str:
    """Today in the UK as a date field takes it (``2026-03-02``)."""
    return uk_day_of(uow.clock.now()).isoformat()


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day``, UK time, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=UK_TIME).astimezone(UTC)


def parse_day(field_name: str, text: str, *, required: bool) -> date | None:
    """``2026-03-02`` (what a date field sends) or ``02/03/2026``; refuses naming the field."""
    text = text.strip()
    if not text:
        if required:
            raise ValidationFailed.single(field_name, "must be filled in")
        return None
    for pattern, order in ((_ISO_DAY, (0, 1, 2)), (_UK_DAY, (2, 1, 0))):
        found = pattern.fullmatch(text)
        if found:
            parts = [int(found.group(i + 1)) for i in order]
            try:
                return date(parts[0], parts[1], parts[2])
            except ValueError:
                break
    raise ValidationFailed.single(field_name, "must be a date such as 02/03/2026")


def grade(text: str) -> int | None:
    """A seniority grade typed in a form (blank: none); refuses naming the field."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailed.single("seniority", SENIORITY_RULE)
    return check_seniority(int(text))


def said(exc: KlaremontError, labels: Mapping[str, str], role: Role | None = None) -> str:
    """A service's refusal in words, naming a form field by its label (a missing background
    check names the role asked for in words, ``role``)."""
    if isinstance(exc, VettingRequired) and role is not None:
        return (
            f"The {ROLE_WORDS[role]} role reads personal or card data: it is granted only "
            "once the person's background check is recorded."
        )
    if exc.problems:
        return "; ".join(f"{_label(p, labels)}: {p.rule}" for p in exc.problems)
    return exc.detail


def _label(problem: FieldProblem, labels: Mapping[str, str]) -> str:
    return labels.get(problem.field) or problem.field.replace("_", " ").capitalize()


def status_of(account: StaffAccount, now: datetime) -> tuple[PeopleStatus, str]:
    """The account's standing and how a person reads it."""
    changed = account.status_changed_at
    if account.status == AccountStatus.OFFBOARDED.value:
        return PeopleStatus.LEFT, f"Left on {uk_date(changed)}" if changed else "Left"
    if account.status == AccountStatus.DISABLED.value:
        return (
            PeopleStatus.DISABLED,
            f"Disabled since {uk_date(changed)}" if changed else "Disabled",
        )
    if account.locked_at is not None and (
        account.lock_expires_at is None or account.lock_expires_at > now
    ):
        until = account.lock_expires_at
        words = f"Locked until {uk_time(until)}" if until is not None else "Locked"
        return PeopleStatus.LOCKED, words
    if account.expires_at is not None and account.expires_at <= now:
        return PeopleStatus.DISABLED, f"Window ended {uk_datetime(account.expires_at)}"
    return PeopleStatus.ACTIVE, "Active"


def training_words(account: StaffAccount, now: datetime) -> tuple[str, bool]:
    """When data-protection training is due, and whether it is overdue (DP-AWARE)."""
    if account.status == AccountStatus.OFFBOARDED.value:
        return "", False
    due = service_accounts.training_due(account)
    if due is None:
        return "Never recorded", True
    if due <= now:
        return f"Overdue since {uk_date(due)}", True
    return f"Due {uk_date(due)}", False


def window_words(start: datetime, end: datetime) -> str:
    """``6 December 2026, 10:39 to 16:39`` (both dates when the window spans midnight)."""
    if uk_day_of(start) == uk_day_of(end):
        return f"{uk_datetime(start)} to {uk_time(end)}"
    return f"{uk_datetime(start)} to {uk_datetime(end)}"


def grant_state(grant: RemoteGrant, now: datetime) -> tuple[str, bool]:
    """A grant's state in words, and whether it can still be revoked."""
    if grant.revoked_at is not None:
        why = f" ({grant.revoked_reason})" if grant.revoked_reason else ""
        return f"Revoked {uk_datetime(grant.revoked_at)}{why}", False
    if grant.expires_at <= now:
        return f"Expired {uk_datetime(grant.expires_at)}", False
    waiting = [
        who
        for who, approved in (
            ("the line manager", grant.manager_approved_by),
            ("technical operations", grant.techops_approved_by),
        )
        if approved is None
    ]
    if waiting:
        return f"Waiting for {' and '.join(waiting)}", True
    return f"Active until {uk_datetime(grant.expires_at)}", True
