"""What the remote-access page shows, read through the remote-access service and put in words.

Everything is read while the unit of work is open and kept as plain values
(:class:`RemotePage`), so a page drawn again after a refused form never touches an ORM
instance of an ended unit of work. People are named by username (and, where someone must
decide about them, their full name); grants by who and when, never by id, which only
travels in a form's hidden field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from klaremont.display import uk_date
from klaremont.staff import service_remote
from klaremont.staff.permissions import StaffPermission
from klaremont.staff.service_accounts import get_account

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import RemoteGrant, StaffAccount
    from klaremont.staff.permissions import Permission


@dataclass(frozen=True)
class Person:
    """A member of staff as the page names them."""

    username: str
    full_name: str


@dataclass(frozen=True)
class GrantLine:
    """One grant as a line of the page."""

    key: str  # the grant's id, for a form's hidden field only
    who: Person
    reason: str
    days: int
    asked_at: datetime
    expires_at: datetime
    state: str  # in words: "Waiting for your line manager", "Active until 6 January 2027"
    tone: str  # waiting | active | ended (a class for the state, never the only signal)
    approvals: list[str] = field(default_factory=list)  # "mona, as line manager, on ..."
    approve_as: str = ""  # for an approver: "their line manager" / "technical operations"


@dataclass(frozen=True)
class RemotePage:
    """Everything ``/staff/remote-access`` shows to one person."""

    own: list[GrantLine]
    line_manager: Person | None
    waiting: list[GrantLine]
    may_revoke: bool
    active: list[GrantLine]
    max_days: int = service_remote.GRANT_MAX_DAYS


class _People:
    """Accounts looked up once per page."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.found: dict[uuid.UUID, StaffAccount] = {}

    def account(self, account_id: uuid.UUID) -> StaffAccount:
        if account_id not in self.found:
            self.found[account_id] = get_account(self.uow, account_id)
        return self.found[account_id]

    def person(self, account_id: uuid.UUID) -> Person:
        account = self.account(account_id)
        return Person(account.username, account.full_name or "")


def _state(uow: UnitOfWork, grant: RemoteGrant, *, own: bool) -> tuple[str, str]:
    """The grant's state in words, and its tone."""
    if grant.revoked_at is not None:
        return f"Revoked on {uk_date(grant.revoked_at)}", "ended"
    if grant.expires_at <= uow.clock.now():
        return f"Expired on {uk_date(grant.expires_at)}", "ended"
    if service_remote.is_active(grant, uow):
        return f"Active until {uk_date(grant.expires_at)}", "active"
    waiting = []
    if grant.manager_approved_by is None:
        waiting.append("your line manager" if own else "their line manager")
    if grant.techops_approved_by is None:
        waiting.append("technical operations")
    return f"Waiting for {' and '.join(waiting)}", "waiting"


def _approvals(people: _People, grant: RemoteGrant) -> list[str]:
    said = []
    for by, at, role in (
        (grant.manager_approved_by, grant.manager_approved_at, "line manager"),
        (grant.techops_approved_by, grant.techops_approved_at, "technical operations"),
    ):
        if by is not None:
            when = f" on {uk_date(at)}" if at is not None else ""
            said.append(f"{people.account(by).username}, as {role}{when}")
    return said


def _line(
    uow: UnitOfWork, people: _People, grant: RemoteGrant, *, own: bool, approve_as: str = ""
) -> GrantLine:
    state, tone = _state(uow, grant, own=own)
    return GrantLine(
        key=str(grant.id),
        who=people.person(grant.account_id),
        reason=grant.reason,
        days=max(1, round((grant.expires_at - grant.requested_at).total_seconds() / 86400)),
        asked_at=grant.requested_at,
        expires_at=grant.expires_at,
        state=state,
        tone=tone,
        approvals=_approvals(people, grant),
        approve_as=approve_as,
    )


def _approve_as(people: _People, grant: RemoteGrant, approver: StaffAccount) -> str:
    """Which approval this person would give (the service's own order: line manager first)."""
    grantee = people.account(grant.account_id)
    if grantee.line_manager_id == approver.id and grant.manager_approved_by is None:
        return "their line manager"
    return "technical operations"


def read_page(
    uow: UnitOfWork, account: StaffAccount, permissions: Collection[Permission | str]
) -> RemotePage:
    """Read what the page shows to ``account`` holding ``permissions``."""
    people = _People(uow)  # names read afresh: ``account`` may be detached after a refusal
    held = frozenset(str(p) for p in permissions)
    own = [_line(uow, people, g, own=True) for g in service_remote.grants_of(uow, account.id)]
    approver_permissions = {p for p in StaffPermission if p.value in held}
    waiting = [
        _line(uow, people, g, own=False, approve_as=_approve_as(people, g, account))
        for g in service_remote.pending_for(uow, account, approver_permissions)
    ]
    waiting.sort(key=lambda line: line.asked_at)
    may_revoke = StaffPermission.REMOTE_REVOKE.value in held
    active = (
        [_line(uow, people, g, own=False) for g in service_remote.active_grants(uow)]
        if may_revoke
        else []
    )
    manager = account.line_manager_id
    return RemotePage(
        own=own,
        line_manager=people.person(manager) if manager is not None else None,
        waiting=waiting,
        may_revoke=may_revoke,
        active=active,
    )
