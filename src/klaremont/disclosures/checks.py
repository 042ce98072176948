"""Live checks of disclosures (PP-NOSHARE, IS-USE-DISCLOSE). Without a database (the policy
trace run from settings alone) each says so and holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.disclosures.models import Disclosure
from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database
from klaremont.staff.permissions import Role

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

NO_DATABASE = "disclosures not inspected (no database in this context)"


def _exported(uow: UnitOfWork) -> list[Disclosure]:
    return list(uow.session.scalars(select(Disclosure).where(Disclosure.exported_at.is_not(None))))


def _names(found: list[str]) -> str:
    shown = ", ".join(found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")  # noqa: PLR2004


@live_check(
    "PP-NOSHARE",
    reads="every disclosure exported: its recorded basis, and a director's approval dated before "
    "the export",
)
def every_export_had_a_basis_and_an_approval(ctx: LiveContext) -> CheckResult:
    """Every disclosure exported had a recorded basis and a director's approval before it."""

    def check(uow: UnitOfWork) -> CheckResult:
        done = _exported(uow)
        bad = [
            d.reference
            for d in done
            if not (d.basis_reference or "").strip()
            or d.decided_at is None
            or d.exported_at is None
            or d.decided_at > d.exported_at
            or d.decided_as != Role.DIRECTOR.value
        ]
        if bad:
            return CheckResult(
                holds=False, detail=f"exported without a basis or prior approval: {_names(bad)}"
            )
        return CheckResult(
            holds=True,
            detail=f"{len(done)} disclosure(s) exported, each with a basis and prior approval",
        )

    return with_database(ctx, check, without=NO_DATABASE)


@live_check(
    "IS-USE-DISCLOSE",
    reads="every disclosure exported: who requested it against the director who approved it",
)
def no_export_without_another_directors_approval(ctx: LiveContext) -> CheckResult:
    """No export without approval by a director who is not the requester."""

    def check(uow: UnitOfWork) -> CheckResult:
        done = _exported(uow)
        bad = [
            d.reference
            for d in done
            if d.decided_as != Role.DIRECTOR.value
            or not d.decided_by
            or d.decided_by == d.requested_by
        ]
        if bad:
            return CheckResult(
                holds=False,
                detail=f"exported without another director's approval: {_names(bad)}",
            )
        return CheckResult(
            holds=True,
            detail=f"{len(done)} disclosure(s) exported, each approved by another director",
        )

    return with_database(ctx, check, without=NO_DATABASE)
