"""Marketing and cookie consent: give, withdraw, capture at collection, read state and history.

Every change appends records (never updates) and one ``consent.change`` audit event in
the same transaction. Withdrawal is one call, as easy as giving (:func:`withdraw_marketing`).
Services add and flush; the caller's unit of work commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.consent import objection
from klaremont.consent.actions import ConsentAction
from klaremont.consent.models import (
    OPTIONAL_COOKIE_CATEGORIES,
    ConsentMethod,
    ConsentSource,
    CookieCategory,
    CookieConsent,
    MarketingConsent,
    PrivacyNotice,
)
from klaremont.consent.notices import notice_in_force
from klaremont.customers.announcements import AccountOpened
from klaremont.db.subjects import Subject
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.policy.purposes import MarketingChannel

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

    from klaremont.platform import UnitOfWork


@dataclass(frozen=True)
class Proof:
    """How and where a choice was made (the notice in force is added by the service)."""

    method: ConsentMethod
    source: ConsentSource


@dataclass(frozen=True)
class HistoryEntry:
    """One consent record, as shown to the person, to staff and in the CLI."""

    kind: str  # "marketing" | "cookie"
    item: str  # the channel or the cookie category
    granted: bool
    recorded_at: datetime
    method: str
    source: str
    notice_key: str
    notice_version: int
    recorded_by: str
    seq: int = 0  # the record's position in its table (orders records made in the same instant)


def browser_key_hash(browser_key: str) -> str:
    """SHA-256 hex of a visitor's random cookie key (the key itself is never stored)."""
    return hashlib.sha256(browser_key.encode()).hexdigest()


def _subject(session: Session, subject_id: uuid.UUID) -> Subject:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such data subject")
    return subject


# ------------------------------------------------------------------------- marketing
def marketing_state(session: Session, subject_id: uuid.UUID) -> dict[MarketingChannel, bool]:
    """Current marketing choice per channel: the latest record, no record meaning no."""
    latest = (
        select(func.max(MarketingConsent.seq))
        .where(MarketingConsent.subject_id == subject_id)
        .group_by(MarketingConsent.channel)
    )
    rows = session.scalars(select(MarketingConsent).where(MarketingConsent.seq.in_(latest)))
    state = dict.fromkeys(MarketingChannel, False)
    for row in rows:
        state[MarketingChannel(row.channel)] = row.granted
    return state


def record_marketing(
    uow: UnitOfWork,
    subject_id: uuid.UUID,
    choices: Mapping[MarketingChannel, bool],
    proof: Proof,
    *,
    only_changes: bool = True,
) -> list[MarketingConsent]:
    """Record marketing choices per channel; with ``only_changes`` unchanged ones are skipped."""
    subject = _subject(uow.session, subject_id)
    if subject.erased_at is not None and any(choices.values()):
        raise Conflict("an erased person cannot be opted in to marketing")
    objection.refuse_opt_in(uow, subject_id, choices)
    current = marketing_state(uow.session, subject_id) if only_changes else {}
    changed = {
        MarketingChannel(ch): granted
        for ch, granted in choices.items()
        if not only_changes or current.get(MarketingChannel(ch)) != granted
    }
    if not changed:
        return []
    notice = notice_in_force(uow)
    now = uow.clock.now()
    rows = [
        MarketingConsent(
            subject_id=subject_id,
            channel=channel,
            granted=granted,
            recorded_at=now,
            method=proof.method,
            source=proof.source,
            notice_id=notice.id,
            recorded_by=str(uow.actor),
        )
        for channel, granted in sorted(changed.items())
    ]
    uow.session.add_all(rows)
    uow.session.flush()
    changes = {str(c): g for c, g in changed.items()}
    _audit(
        uow, f"subject:{subject_id}", kind="marketing", changes=changes, proof=proof, notice=notice
    )
    return rows


def set_marketing(
    uow: UnitOfWork,
    subject_id: uuid.UUID,
    channel: MarketingChannel,
    granted: bool,
    proof: Proof,
) -> MarketingConsent | None:
    """Give or withdraw marketing on one channel; ``None`` when nothing changed."""
    rows = record_marketing(uow, subject_id, {channel: granted}, proof)
    return rows[0] if rows else None


def withdraw_marketing(
    uow: UnitOfWork,
    subject_id: uuid.UUID,
    proof: Proof,
    channels: Iterable[MarketingChannel] | None = None,
) -> list[MarketingConsent]:
    """Withdraw marketing in one call: every channel (or the ones named) switched off."""
    wanted = list(channels) if channels is not None else list(MarketingChannel)
    return record_marketing(uow, subject_id, dict.fromkeys(wanted, False), proof)


def capture_at_collection(
    uow: UnitOfWork,
    subject_id: uuid.UUID,
    preferences: Mapping[MarketingChannel, bool],
    *,
    source: ConsentSource,
    method: ConsentMethod = ConsentMethod.WEB_FORM,
) -> list[MarketingConsent]:
    """Record the marketing choice made when the details were given (PP-OPTOUT).

    The customer store calls this when it creates a customer. Every channel gets a record:
    a channel missing from ``preferences`` is recorded as refused, so the record proves
    the option was offered and an opt-out is honoured from the first moment.
    """
    choices = {ch: bool(preferences.get(ch, False)) for ch in MarketingChannel}
    if objection.standing(uow.session, subject_id).blocked:
        # an objection or restriction on file wins over a ticked box; only the person can
        # lift an objection, in the privacy centre
        choices = dict.fromkeys(MarketingChannel, False)
    return record_marketing(uow, subject_id, choices, Proof(method, source), only_changes=False)


def marketing_history(session: Session, subject_id: uuid.UUID) -> list[MarketingConsent]:
    """Every marketing record of a subject, newest first."""
    return list(
        session.scalars(
            select(MarketingConsent)
            .where(MarketingConsent.subject_id == subject_id)
            .order_by(MarketingConsent.seq.desc())
        )
    )


# ------------------------------------------------------------------------- cookies
def _cookie_owner(subject_id: uuid.UUID | None, browser_key: str | None) -> ColumnElement[bool]:
    if subject_id is not None:
        return CookieConsent.subject_id == subject_id
    if browser_key:
        return CookieConsent.browser_key_hash == browser_key_hash(browser_key)
    raise ValidationFailed.single("subject", "a signed-in person or a browser key is needed")


def cookie_state(
    session: Session, *, subject_id: uuid.UUID | None = None, browser_key: str | None = None
) -> dict[CookieCategory, bool]:
    """Current cookie choice per category; strictly necessary is always on, the rest default off."""
    state = dict.fromkeys(CookieCategory, False)
    state[CookieCategory.STRICTLY_NECESSARY] = True
    if subject_id is None and not browser_key:
        return state
    owner = _cookie_owner(subject_id, browser_key)
    latest = select(func.max(CookieConsent.seq)).where(owner).group_by(CookieConsent.category)
    for row in session.scalars(select(CookieConsent).where(CookieConsent.seq.in_(latest))):
        if row.category in OPTIONAL_COOKIE_CATEGORIES:
            state[CookieCategory(row.category)] = row.granted
    return state


def record_cookie_choices(
    uow: UnitOfWork,
    choices: Mapping[CookieCategory, bool],
    proof: Proof,
    *,
    subject_id: uuid.UUID | None = None,
    browser_key: str | None = None,
) -> list[CookieConsent]:
    """Record cookie choices for a signed-in subject or a visitor's browser key (changes only)."""
    if choices.get(CookieCategory.STRICTLY_NECESSARY) is False:
        raise ValidationFailed.single(
            "strictly_necessary", "cannot be refused: these cookies hold only the sign-in key"
        )
    if subject_id is not None:
        _subject(uow.session, subject_id)
    current = cookie_state(uow.session, subject_id=subject_id, browser_key=browser_key)
    changed = {
        CookieCategory(cat): granted
        for cat, granted in choices.items()
        if cat in OPTIONAL_COOKIE_CATEGORIES and current[CookieCategory(cat)] != granted
    }
    if not changed:
        return []
    notice = notice_in_force(uow)
    now = uow.clock.now()
    key_hash = browser_key_hash(browser_key) if subject_id is None and browser_key else None
    rows = [
        CookieConsent(
            subject_id=subject_id,
            browser_key_hash=key_hash,
            category=category,
            granted=granted,
            recorded_at=now,
            method=proof.method,
            source=proof.source,
            notice_id=notice.id,
            recorded_by=str(uow.actor),
        )
        for category, granted in sorted(changed.items())
    ]
    uow.session.add_all(rows)
    uow.session.flush()
    owner = f"subject:{subject_id}" if subject_id is not None else "visitor"
    changes = {str(c): g for c, g in changed.items()}
    _audit(uow, owner, kind="cookie", changes=changes, proof=proof, notice=notice)
    return rows


# ------------------------------------------------------------------------- history
def consent_history(session: Session, subject_id: uuid.UUID) -> list[HistoryEntry]:
    """Every marketing and cookie record of a subject, newest first, with its notice version."""
    entries: list[HistoryEntry] = []
    marketing = session.execute(
        select(MarketingConsent, PrivacyNotice)
        .join(PrivacyNotice, PrivacyNotice.id == MarketingConsent.notice_id)
        .where(MarketingConsent.subject_id == subject_id)
    )
    for m, notice in marketing:
        entries.append(_entry("marketing", str(m.channel), m, notice))
    cookies = session.execute(
        select(CookieConsent, PrivacyNotice)
        .join(PrivacyNotice, PrivacyNotice.id == CookieConsent.notice_id)
        .where(CookieConsent.subject_id == subject_id)
    )
    for c, notice in cookies:
        entries.append(_entry("cookie", str(c.category), c, notice))
    entries.sort(key=lambda e: (e.recorded_at, e.kind, e.seq), reverse=True)
    return entries


def _entry(
    kind: str, item: str, row: MarketingConsent | CookieConsent, notice: PrivacyNotice
) -> HistoryEntry:
    return HistoryEntry(
        kind=kind,
        item=item,
        granted=row.granted,
        recorded_at=row.recorded_at,
        method=str(row.method),
        source=str(row.source),
        notice_key=notice.notice_key,
        notice_version=notice.version,
        recorded_by=row.recorded_by,
        seq=row.seq,
    )


def _audit(
    uow: UnitOfWork,
    resource: str,
    *,
    kind: str,
    changes: dict[str, bool],
    proof: Proof,
    notice: PrivacyNotice,
) -> None:
    uow.audit(
        ConsentAction.CONSENT_CHANGE,
        resource=resource,
        details={
            "kind": kind,
            "changes": changes,
            "method": str(proof.method),
            "source": str(proof.source),
            "notice": f"{notice.notice_key}:{notice.version}",
        },
    )


def on_account_opened(uow: UnitOfWork, event: AccountOpened) -> str | None:
    """Subscriber: record the marketing choice offered when the details were given."""
    if event.marketing is None:
        return None
    method = ConsentMethod.PHONE if event.channel == "phone_order" else ConsentMethod.WEB_FORM
    records = capture_at_collection(
        uow, event.subject_id, event.marketing, source=ConsentSource(event.channel), method=method
    )
    return f"{len(records)} marketing choice(s) recorded"
