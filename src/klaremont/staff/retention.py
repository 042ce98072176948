"""Staff's retention target (``retention_targets``): a leaver's account is anonymised
``retention.staff_accounts.period`` after they left (IS-AC-LEAVER).

A leaver is an offboarded account; they left when it was offboarded (``status_changed_at``:
an offboarded account never changes state again). Anonymising keeps the row, so the audit
log's actor ids (the account id) and the references other records hold (who approved a
remote grant, who signed an access review) still resolve, to a former member of staff:

- the username becomes a pseudonym made from the account id (``former-staff-`` and its
  32 hex digits: unique, as the id is); the name, work e-mail and its blind index, job
  title, grade, line manager, vetting and training dates are cleared;
- before that (:func:`forget_secrets`), the secrets and traces of signing in go: password
  history, sessions, API tokens, the authenticator and recovery codes; and the person's
  data key is destroyed, so the name and e-mail sealed under it are unreadable in every
  backup too.

A staff account's ``subject_id`` is its own (no customer's data subject): no hold of
``subject_hold`` names it, so the target names nobody (``subject=None``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import String, case, cast, delete, func, literal, select

from klaremont.policy.model import DataCategory
from klaremont.retention_targets import Target
from klaremont.staff.hashing import UNUSABLE
from klaremont.staff.models import (
    AccountStatus,
    ApiToken,
    PasswordHistory,
    RecoveryCode,
    StaffAccount,
    StaffMfa,
    StaffSession,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import ColumnElement, Table

    from klaremont.platform import UnitOfWork

PREFIX = "former-staff-"
REASON = "retention: a leaver's account anonymised"
#: what goes with a leaver's account before it is anonymised
SECRETS = (PasswordHistory, StaffSession, ApiToken, StaffMfa, RecoveryCode)
#: personal values cleared on the account row (the sealed name and e-mail among them)
CLEARED = (
    "full_name",
    "work_email",
    "work_email_bidx",
    "job_title",
    "seniority",
    "line_manager_id",
    "vetted_on",
    "training_completed_at",
)


def pseudonym(table: Table) -> ColumnElement[Any]:
    """``former-staff-`` and the account id's 32 hex digits (lower case on both databases)."""
    digits = func.lower(func.replace(cast(table.c.id, String), "-", ""))
    return literal(PREFIX) + digits


def _left(table: Table) -> ColumnElement[Any]:
    """The clock ``staff_left``: when an offboarded account was offboarded."""
    return case(
        (table.c.status == AccountStatus.OFFBOARDED.value, table.c.status_changed_at),
        else_=None,
    )


def _anonymised(table: Table) -> ColumnElement[bool]:
    return table.c.username_key == pseudonym(table)


def _values(uow: UnitOfWork) -> dict[str, Any]:
    del uow  # the same for every batch
    table: Table = StaffAccount.__table__  # type: ignore[assignment]
    name = pseudonym(table)
    return {
        "username": name,
        "username_key": name,
        "password_hash": UNUSABLE,
        "password_must_change": False,
        **dict.fromkeys(CLEARED),
    }


def forget_secrets(uow: UnitOfWork, ids: Sequence[Any]) -> None:
    """The ``before`` hook: delete the accounts' secrets and destroy their data keys."""
    for model in SECRETS:
        uow.session.execute(delete(model).where(model.account_id.in_(ids)))
    subjects = list(
        uow.session.scalars(select(StaffAccount.subject_id).where(StaffAccount.id.in_(ids)))
    )
    uow.crypto.destroy_many(subjects, REASON)


def targets() -> tuple[Target, ...]:
    """Leavers' accounts."""
    return (
        Target(
            "staff.leavers",
            DataCategory.STAFF_ACCOUNTS,
            StaffAccount.__table__,  # type: ignore[arg-type]
            {"staff_left": _left},
            "leavers' staff accounts (with their password history, sessions, API tokens "
            "and authenticators)",
            subject=None,
            anonymise=_values,
            anonymised=_anonymised,
            before=forget_secrets,
        ),
    )
