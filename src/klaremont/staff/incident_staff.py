"""Who works here, for the incident response team's seats (the ``incident_staff`` point).

The incidents capability names the team by post and stands people in by seniority
(SP-IRT-MEMBERS); it reads no staff table. This provider answers with every active,
regular account as plain values: username, full name, the roles held now (by name), job
title and seniority grade. Maintenance accounts and accounts whose time has run out are
left out: they cannot sit on a team.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.staff.models import AccountKind, AccountStatus, StaffAccount, StaffRole

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


@dataclass(frozen=True, slots=True)
class Colleague:
    """An active member of staff as another capability may see them."""

    username: str
    full_name: str
    roles: frozenset[str]
    job_title: str | None
    seniority: int | None


def active_staff(uow: UnitOfWork) -> list[Colleague]:
    """Every active, regular account with its roles, title and grade, by username."""
    now = uow.clock.now()
    accounts = uow.session.scalars(
        select(StaffAccount)
        .where(
            StaffAccount.status == AccountStatus.ACTIVE.value,
            StaffAccount.kind == AccountKind.REGULAR.value,
        )
        .order_by(StaffAccount.username_key)
    ).all()
    roles: dict[object, set[str]] = {}
    for account_id, role in uow.session.execute(select(StaffRole.account_id, StaffRole.role)):
        roles.setdefault(account_id, set()).add(str(role))
    return [
        Colleague(
            username=account.username,
            full_name=account.full_name or account.username,
            roles=frozenset(roles.get(account.id, ())),
            job_title=account.job_title,
            seniority=account.seniority,
        )
        for account in accounts
        if account.expires_at is None or account.expires_at > now
    ]
