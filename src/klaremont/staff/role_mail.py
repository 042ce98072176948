"""Mail to everyone holding a role: the ``role_mail`` extension point's staff provider.

Another capability that must tell a role something (the job worker alerting technical
operations) calls ``role_mail(uow, role, subject_line, body)`` through the extension point,
so it never reads staff accounts itself. A message is queued in the mail outbox for each
active member with a work address; the body passes the outbox's personal-data guard.
Returns how many messages were queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import select

from klaremont.db.subjects import Subject
from klaremont.mail import service as mail_service
from klaremont.mail.templates import Rendered
from klaremont.staff.models import AccountStatus, StaffAccount, StaffRole

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from klaremont.platform import UnitOfWork


@dataclass(frozen=True)
class RoleNotice:
    """A plain notice to the holders of a role (no names, no addresses, no links)."""

    name: ClassVar[str] = "role_notice"
    subject_line: str
    body: str

    def render(self, public_url: str) -> Rendered:  # noqa: ARG002 - the notice carries no link
        """The message."""
        return Rendered(self.name, self.subject_line[:200], self.body)


def role_mail(uow: UnitOfWork, role: str, subject_line: str, body: str) -> int:
    """Queue the notice to each active member of ``role``; returns how many were queued."""
    members = uow.session.scalars(
        select(StaffAccount)
        .join(StaffRole, StaffRole.account_id == StaffAccount.id)
        .where(StaffRole.role == role, StaffAccount.status == AccountStatus.ACTIVE.value)
        .order_by(StaffAccount.username_key)
    ).all()
    return _queue(uow, members, RoleNotice(subject_line, body))


def staff_mail(uow: UnitOfWork, usernames: Iterable[str], subject_line: str, body: str) -> int:
    """The ``staff_mail`` point: the notice to each named, active member of staff (an
    incident's team); returns how many were queued."""
    keys = sorted({name.strip().lower() for name in usernames if name.strip()})
    if not keys:
        return 0
    members = uow.session.scalars(
        select(StaffAccount)
        .where(
            StaffAccount.username_key.in_(keys),
            StaffAccount.status == AccountStatus.ACTIVE.value,
        )
        .order_by(StaffAccount.username_key)
    ).all()
    return _queue(uow, members, RoleNotice(subject_line, body))


def _queue(uow: UnitOfWork, members: Sequence[StaffAccount], notice: RoleNotice) -> int:
    queued = 0
    for account in members:
        if not account.work_email:
            continue
        if uow.session.get(Subject, account.subject_id) is None:
            uow.session.add(Subject(id=account.subject_id, created_at=uow.clock.now()))
            uow.session.flush()
        mail_service.enqueue(
            uow, subject_id=account.subject_id, to_address=account.work_email, mail=notice
        )
        queued += 1
    return queued
