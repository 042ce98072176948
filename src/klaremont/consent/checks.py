"""Live checks of consent: do PP-OPTOUT and IS-SENS-CONSENT hold on this deployment now?

Static parts need no database; the stored records are inspected when the context is a
full platform (``klaremont policy trace`` passes one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select

from klaremont.consent.audience import marketing_audience, marketing_veto
from klaremont.consent.models import CookieConsent, MarketingConsent
from klaremont.consent.notices import list_notices, text_hash
from klaremont.db.subjects import Subject
from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database
from klaremont.policy.purposes import MarketingChannel
from klaremont.purposes.decide import marketing_vetoes

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "stored records not inspected (no database in this context)"


def _with_database(
    ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult], static: str
) -> CheckResult:
    return with_database(ctx, check, without=f"{static}; {NO_DATABASE}")


@live_check(
    "PP-OPTOUT",
    reads="people who objected to marketing, are restricted or erased, against each marketing "
    "channel's audience",
)
def opt_outs_are_honoured(ctx: LiveContext) -> CheckResult:
    """The consent veto is registered with the purpose check; no audience holds a blocked person."""
    if marketing_veto not in marketing_vetoes():
        return CheckResult(holds=False, detail="the consent veto is not registered")
    static = "consent veto registered with the purpose check"

    def check(uow: UnitOfWork) -> CheckResult:
        blocked = set(
            uow.session.scalars(
                select(Subject.id).where(
                    or_(
                        Subject.marketing_objection_at.is_not(None),
                        Subject.restricted_at.is_not(None),
                        Subject.erased_at.is_not(None),
                    )
                )
            )
        )
        leaks = {
            ch.value: len(blocked & set(marketing_audience(uow.session, ch)))
            for ch in MarketingChannel
        }
        wrong = {ch: n for ch, n in leaks.items() if n}
        detail = f"{static}; audiences exclude objected, restricted and erased people" + (
            f"; blocked people in audiences: {wrong}" if wrong else ""
        )
        return CheckResult(holds=not wrong, detail=detail)

    return _with_database(ctx, check, static)


@live_check(
    "IS-SENS-CONSENT",
    reads="every published notice version's text against its recorded hash, and every marketing "
    "and cookie consent record against the notices published",
)
def consent_records_prove_their_notice(ctx: LiveContext) -> CheckResult:
    """Every notice version matches its recorded hash and every consent record names one."""

    def check(uow: UnitOfWork) -> CheckResult:
        notices = list_notices(uow.session)
        altered = [
            f"{n.notice_key} v{n.version}" for n in notices if text_hash(n.text) != n.text_sha256
        ]
        known = {n.id for n in notices}
        orphans = 0
        for model in (MarketingConsent, CookieConsent):
            query = select(func.count()).select_from(model)
            if known:
                query = query.where(model.notice_id.not_in(known))
            orphans += uow.session.scalar(query) or 0
        detail = f"{len(notices)} notice versions, hashes intact, every record names its notice"
        if altered:
            detail = f"notice text changed after publication: {', '.join(altered)}"
        elif orphans:
            detail = f"{orphans} consent records name no published notice"
        return CheckResult(holds=not altered and not orphans, detail=detail)

    return _with_database(ctx, check, "notices are versioned and hashed")
