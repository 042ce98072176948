"""Reading a person's consent and the marketing audience: purpose-checked and audited here,
in the service, as customer reads are (the API and the CLI call these and nothing else).

A person's current choices are marketing preferences; their history is consent records,
which only the legal-obligation purpose may read (the register says so), so a support agent
sees the current choices and no history. A refusal is audited as ``purpose.refused``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from klaremont.consent import objection
from klaremont.consent.audience import marketing_audience
from klaremont.consent.objection import MarketingStanding
from klaremont.consent.service import (
    HistoryEntry,
    consent_history,
    cookie_state,
    marketing_state,
)
from klaremont.customers.access import Access, audit_read
from klaremont.db.subjects import Subject
from klaremont.errors import NotFound, ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import MarketingChannel, Purpose

if TYPE_CHECKING:
    from klaremont.consent.models import CookieCategory
    from klaremont.platform import UnitOfWork

C = DataCategory


@dataclass(frozen=True, slots=True)
class SubjectConsent:
    """What a purpose may see of a person's consent; ``history`` is ``None`` when withheld."""

    subject_id: uuid.UUID
    marketing: dict[MarketingChannel, bool]  # the latest recorded choice per channel
    standing: MarketingStanding  # objection, restriction, erasure: what marketing may use
    cookies: dict[CookieCategory, bool]
    history: list[HistoryEntry] | None


def read_subject_consent(uow: UnitOfWork, subject_id: uuid.UUID, access: Access) -> SubjectConsent:
    """A person's current choices (and history, when the purpose may read consent records)."""
    subject = uow.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such data subject")
    access = access.resolved(uow)
    wanted = access.visible(uow) & {C.MARKETING_PREFERENCES, C.CONSENT_RECORDS}
    access.authorise(uow, subject, wanted or {C.MARKETING_PREFERENCES})
    history = consent_history(uow.session, subject_id) if C.CONSENT_RECORDS in wanted else None
    read = SubjectConsent(
        subject_id=subject_id,
        marketing=marketing_state(uow.session, subject_id),
        standing=objection.standing(uow.session, subject_id),
        cookies=cookie_state(uow.session, subject_id=subject_id),
        history=history,
    )
    audit_read(
        uow,
        access,
        f"subject:{subject_id}",
        wanted,
        what="consent",
        records=len(history) if history is not None else 0,
    )
    return read


def read_audience(uow: UnitOfWork, channel: MarketingChannel, access: Access) -> list[uuid.UUID]:
    """The people a marketing send on ``channel`` may use now (opt-outs, objections,
    restrictions and erasures excluded); read for marketing only, and audited."""
    if access.purpose is not Purpose.MARKETING:
        raise ValidationFailed.single("purpose", "the marketing audience is read for marketing")
    ids = marketing_audience(uow.session, channel)
    audit_read(
        uow,
        access,
        f"audience:{channel.value}",
        {C.MARKETING_PREFERENCES},
        what="marketing_audience",
        count=len(ids),
    )
    return ids
