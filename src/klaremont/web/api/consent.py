"""Staff consent API under ``/api/consent``: notices, a person's consent, the marketing audience.

Reading consent needs ``consent:read``; recording a choice a person gave by phone or on
paper, or publishing a notice, needs ``consent:manage``; the audience list (the ids a
marketing send may use) needs ``marketing:send``. Reads of a person's consent and of the
audience are audited.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from klaremont.audit.events import AuditAction
from klaremont.consent import objection, service
from klaremont.consent.audience import marketing_audience
from klaremont.consent.models import MarketingChannel
from klaremont.consent.notices import list_notices, publish_notice
from klaremont.consent.schemas import (
    AudienceOut,
    HistoryOut,
    MarketingIn,
    NoticeIn,
    NoticeOut,
    SubjectConsentOut,
    WithdrawIn,
)
from klaremont.customers.models import Subject
from klaremont.errors import NotFound
from klaremont.platform import UnitOfWork
from klaremont.purposes import Purpose
from klaremont.staff.guard import StaffPrincipal, require
from klaremont.staff.permissions import Permission
from klaremont.web.api.auth import finish
from klaremont.web.deps import UowDep

router = APIRouter(prefix="/api/consent", tags=["consent"])

Reader = Annotated[StaffPrincipal, Depends(require(Permission.CONSENT_READ))]
Manager = Annotated[StaffPrincipal, Depends(require(Permission.CONSENT_MANAGE))]
Sender = Annotated[StaffPrincipal, Depends(require(Permission.MARKETING_SEND))]


def _notice_out(row: object) -> NoticeOut:
    return NoticeOut.model_validate(row, from_attributes=True)


def _subject_consent(uow: UnitOfWork, subject_id: uuid.UUID) -> SubjectConsentOut:
    if uow.session.get(Subject, subject_id) is None:
        raise NotFound("no such data subject")
    history = service.consent_history(uow.session, subject_id)
    recorded = service.marketing_state(uow.session, subject_id)
    person = objection.standing(uow.session, subject_id)
    return SubjectConsentOut(
        subject_id=subject_id,
        marketing={str(k): v for k, v in objection.effective(recorded, person).items()},
        marketing_recorded={str(k): v for k, v in recorded.items()},
        marketing_objection=person.objected_at is not None,
        marketing_objected_at=person.objected_at,
        restricted=person.restricted,
        cookies={
            str(k): v for k, v in service.cookie_state(uow.session, subject_id=subject_id).items()
        },
        history=[HistoryOut.model_validate(e, from_attributes=True) for e in history],
    )


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
def subject_consent(subject_id: uuid.UUID, staff: Reader, uow: UowDep) -> SubjectConsentOut:
    """A person's current choices and full consent history (audited)."""
    del staff
    out = _subject_consent(uow, subject_id)
    uow.audit(
        AuditAction.PERSONAL_DATA_READ,
        resource=f"subject:{subject_id}",
        purpose=Purpose.SUPPORT,
        details={"what": "consent", "records": len(out.history)},
    )
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
    out = _subject_consent(uow, subject_id)
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
    out = _subject_consent(uow, subject_id)
    finish(uow)
    return out


@router.get("/audience/{channel}")
def audience(channel: MarketingChannel, staff: Sender, uow: UowDep) -> AudienceOut:
    """The subject ids a marketing send on ``channel`` may use now (audited)."""
    del staff
    ids = marketing_audience(uow.session, channel)
    uow.audit(
        AuditAction.PERSONAL_DATA_READ,
        resource=f"audience:{channel.value}",
        purpose=Purpose.MARKETING,
        details={"what": "marketing_audience", "count": len(ids)},
    )
    finish(uow)
    return AudienceOut(channel=channel, count=len(ids), subject_ids=ids)
