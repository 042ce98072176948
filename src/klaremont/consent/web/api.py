"""Staff consent API under ``/api/consent``: notices, a person's consent, the marketing audience.

Reading consent needs ``consent:read``; recording a choice a person gave by phone or on
paper, or publishing a notice, needs ``consent:manage``; the audience list (the ids a
marketing send may use) needs ``marketing:send``. Reads of a person's consent and of the
audience are audited.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from klaremont.consent import objection, service
from klaremont.consent.notices import list_notices, publish_notice
from klaremont.consent.permissions import ConsentPermission
from klaremont.consent.reads import SubjectConsent, read_audience, read_subject_consent
from klaremont.consent.schemas import (
    AudienceOut,
    HistoryOut,
    MarketingIn,
    NoticeIn,
    NoticeOut,
    SubjectConsentOut,
    WithdrawIn,
)
from klaremont.customers.access import Access
from klaremont.platform import UnitOfWork
from klaremont.policy.purposes import MarketingChannel, Purpose
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/consent", tags=["consent"])
PurposeQuery = Annotated[Purpose, Query(description="why the data is read (required)")]

Reader = Annotated[StaffPrincipal, Depends(require(ConsentPermission.CONSENT_READ))]
Manager = Annotated[StaffPrincipal, Depends(require(ConsentPermission.CONSENT_MANAGE))]
Sender = Annotated[StaffPrincipal, Depends(require(ConsentPermission.MARKETING_SEND))]


def _notice_out(row: object) -> NoticeOut:
    return NoticeOut.model_validate(row, from_attributes=True)


def _subject_consent(read: SubjectConsent) -> SubjectConsentOut:
    person = read.standing
    return SubjectConsentOut(
        subject_id=read.subject_id,
        marketing={str(k): v for k, v in objection.effective(read.marketing, person).items()},
        marketing_recorded={str(k): v for k, v in read.marketing.items()},
        marketing_objection=person.objected_at is not None,
        marketing_objected_at=person.objected_at,
        restricted=person.restricted,
        cookies={str(k): v for k, v in read.cookies.items()},
        history=None
        if read.history is None
        else [HistoryOut.model_validate(e, from_attributes=True) for e in read.history],
    )


def _after_change(uow: UnitOfWork, subject_id: uuid.UUID) -> SubjectConsentOut:
    """The choices just recorded, read back (audited) for the change's own purpose."""
    return _subject_consent(read_subject_consent(uow, subject_id, Access(Purpose.LEGAL_OBLIGATION)))


@router.get("/notices")
def notices(staff: Reader, uow: UowDep) -> list[NoticeOut]:
    """Every published notice version, oldest first."""
    del staff
    return [_notice_out(row) for row in list_notices(uow.session)]


@router.post("/notices", status_code=201)
def publish(body: NoticeIn, staff: Manager, uow: UowDep) -> NoticeOut:
    """Publish a new version of a notice (an unchanged text is refused)."""
    del staff
    row = publish_notice(uow, body.text, notice_key=body.notice_key)
    out = _notice_out(row)
    finish(uow)
    return out


@router.get("/subjects/{subject_id}")
def subject_consent(
    subject_id: uuid.UUID, purpose: PurposeQuery, staff: Reader, uow: UowDep
) -> SubjectConsentOut:
    """A person's current choices, and their consent history when the purpose may read
    consent records (legal obligation); purpose-checked and audited by the service."""
    del staff
    out = _subject_consent(read_subject_consent(uow, subject_id, Access(purpose)))
    finish(uow)
    return out


@router.post("/subjects/{subject_id}/marketing")
def record_marketing(
    subject_id: uuid.UUID, body: MarketingIn, staff: Manager, uow: UowDep
) -> SubjectConsentOut:
    """Record marketing choices a person gave by phone or on paper (changes only).

    Switching a channel on is refused (403 ``marketing-opt-in-refused``, audited) for a
    person who objected to marketing or whose processing is restricted.
    """
    del staff
    proof = service.Proof(body.method, body.source)
    service.record_marketing(uow, subject_id, dict(body.choices), proof)
    out = _after_change(uow, subject_id)
    finish(uow)
    return out


@router.post("/subjects/{subject_id}/marketing/withdraw")
def withdraw(
    subject_id: uuid.UUID, body: WithdrawIn, staff: Manager, uow: UowDep
) -> SubjectConsentOut:
    """Withdraw marketing on every channel (or the ones named) in one call."""
    del staff
    proof = service.Proof(body.method, body.source)
    service.withdraw_marketing(uow, subject_id, proof, body.channels)
    out = _after_change(uow, subject_id)
    finish(uow)
    return out


@router.get("/audience/{channel}")
def audience(channel: MarketingChannel, staff: Sender, uow: UowDep) -> AudienceOut:
    """The subject ids a marketing send on ``channel`` may use now (audited)."""
    del staff
    ids = read_audience(uow, channel, Access(Purpose.MARKETING))
    finish(uow)
    return AudienceOut(channel=channel, count=len(ids), subject_ids=ids)
