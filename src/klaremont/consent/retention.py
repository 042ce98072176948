"""Consent's retention targets (``retention_targets``): the history of a marketing or cookie
choice goes ``retention.consent_records.period`` after it was withdrawn.

A consent record is a row of one history: one person and channel (marketing), or one
person or browser and category (cookies), ordered by ``seq``. A row is dated by the
earliest withdrawal (``granted`` false) of the same history recorded at or after it (the
row itself, if it is one), so what goes is the history up to and including a withdrawal
older than the period; a row with no withdrawal after it is never due.

Nobody's current choice changes, whoever asks (the purpose check, the marketing audience,
the cookie banner read the latest row of each history, none meaning no):

- the rows that go are always a history's oldest (if a row is due, so is every row before
  it), so a later row that stays is still the latest;
- if the latest row goes, it is the withdrawal itself, and no row means no, as it did;
- batches take the rows oldest first (every batch walks the primary key), so no batch
  boundary leaves a history whose withdrawal went and whose earlier yes is still there.

``marketing_preferences`` (a person's objection to marketing) is the customer store's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, false, func, select

from klaremont.consent.models import CookieConsent, MarketingConsent
from klaremont.policy.model import DataCategory
from klaremont.retention_targets import Target

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import ColumnElement, Table

    from klaremont.retention_targets import Clock


def _same_marketing(withdrawal: Any, table: Table) -> ColumnElement[bool]:
    return and_(
        withdrawal.c.subject_id == table.c.subject_id,
        withdrawal.c.channel == table.c.channel,
    )


def _same_person_cookie(withdrawal: Any, table: Table) -> ColumnElement[bool]:
    return and_(
        withdrawal.c.subject_id == table.c.subject_id,
        withdrawal.c.category == table.c.category,
    )


def _same_browser_cookie(withdrawal: Any, table: Table) -> ColumnElement[bool]:
    """The same browser's choice while not signed in (a person's choice is not the browser's)."""
    return and_(
        withdrawal.c.subject_id.is_(None),
        withdrawal.c.browser_key_hash == table.c.browser_key_hash,
        withdrawal.c.category == table.c.category,
    )


def withdrawn(same: Callable[[Any, Table], ColumnElement[bool]]) -> Clock:
    """The clock ``consent_withdrawn``: when the row's history was first withdrawn at or
    after it (``NULL``: not since); ``same(withdrawal, row)`` says a row is of its history."""

    def clock(table: Table) -> ColumnElement[Any]:
        withdrawal = table.alias("withdrawal")
        return (
            select(func.min(withdrawal.c.recorded_at))
            .where(
                same(withdrawal, table),
                withdrawal.c.granted == false(),
                withdrawal.c.seq >= table.c.seq,
            )
            .scalar_subquery()
        )

    return clock


def targets() -> tuple[Target, ...]:
    """Marketing and cookie consent histories up to a withdrawal past the period (a
    person's cookie choices and a visitor's browser's apart: each history is found by its
    own index)."""
    cookies: Table = CookieConsent.__table__  # type: ignore[assignment]
    return (
        Target(
            "consent.marketing",
            DataCategory.CONSENT_RECORDS,
            MarketingConsent.__table__,  # type: ignore[arg-type]
            {"consent_withdrawn": withdrawn(_same_marketing)},
            "marketing consent records up to a withdrawal",
        ),
        Target(
            "consent.cookies",
            DataCategory.CONSENT_RECORDS,
            cookies,
            {"consent_withdrawn": withdrawn(_same_person_cookie)},
            "signed-in people's cookie consent records up to a withdrawal",
            extra=(lambda table: table.c.subject_id.is_not(None),),
        ),
        Target(
            "consent.visitor_cookies",
            DataCategory.CONSENT_RECORDS,
            cookies,
            {"consent_withdrawn": withdrawn(_same_browser_cookie)},
            "visitors' cookie consent records (by browser) up to a withdrawal",
            subject=None,
            extra=(lambda table: table.c.subject_id.is_(None),),
        ),
    )
