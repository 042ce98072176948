"""Who may be sent marketing, and the marketing veto the purpose check consults (PP-OPTOUT).

:func:`marketing_audience` is the one function a marketing send queries. A subject is in
the audience for a channel only when all of these hold:

* the latest consent record for that channel says yes (no record means no);
* the subject has not objected to marketing (``Subject.marketing_objection_at``, PP-R-OBJECT);
* processing is not restricted (``Subject.restricted_at``, PP-R-RESTRICT);
* the subject has not been erased (``Subject.erased_at``, PP-R-ERASE).

:func:`marketing_veto` answers the same question for one subject, in the shape the
purpose check (``klaremont.purposes.decide``) takes, so every marketing read honours an
opt-out too. the capability's declaration plugs it into the purpose check.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select

from klaremont.consent.models import MarketingConsent
from klaremont.consent.service import marketing_state
from klaremont.db.subjects import Subject
from klaremont.policy.purposes import MarketingChannel

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from klaremont.customers.view import CustomerView, ViewRequest
    from klaremont.platform import UnitOfWork


def _latest_grants(channel: MarketingChannel | None) -> Select[uuid.UUID]:
    """Subject ids whose latest record (for ``channel``, or for any channel) says yes."""
    latest = select(func.max(MarketingConsent.seq)).group_by(
        MarketingConsent.subject_id, MarketingConsent.channel
    )
    if channel is not None:
        latest = latest.where(MarketingConsent.channel == channel)
    return (
        select(MarketingConsent.subject_id)
        .where(MarketingConsent.seq.in_(latest), MarketingConsent.granted.is_(True))
        .distinct()
    )


def marketing_audience(session: Session, channel: MarketingChannel | str) -> list[uuid.UUID]:
    """Subject ids that may be sent marketing on ``channel`` right now, sorted."""
    wanted = MarketingChannel(channel)
    granted = _latest_grants(wanted).subquery()
    query = (
        select(Subject.id)
        .join(granted, granted.c.subject_id == Subject.id)
        .where(
            Subject.marketing_objection_at.is_(None),
            Subject.restricted_at.is_(None),
            Subject.erased_at.is_(None),
        )
        .order_by(Subject.id)
    )
    return list(session.scalars(query))


def audience_size(session: Session, channel: MarketingChannel | str) -> int:
    """How many subjects :func:`marketing_audience` returns for ``channel``."""
    return len(marketing_audience(session, channel))


def marketing_veto(session: Session, subject_id: uuid.UUID, channel: str | None) -> str | None:
    """Why marketing must not use this subject (``None`` when consent allows it).

    With a channel, that channel's latest consent must say yes; without one, at least one
    channel must. Objection, restriction and erasure are refused here too, so the answer
    matches :func:`marketing_audience` whoever asks.
    """
    subject = session.get(Subject, subject_id)
    reason = _state_veto(subject)
    if reason is not None:
        return reason
    try:
        wanted = MarketingChannel(channel) if channel is not None else None
    except ValueError:
        return f"unknown marketing channel {channel!r}"
    query = _latest_grants(wanted).where(MarketingConsent.subject_id == subject_id).limit(1)
    if session.scalar(query) is None:
        where = f"by {wanted.value}" if wanted is not None else "on any channel"
        return f"no marketing consent {where} (opted out or never opted in)"
    return None


def _state_veto(subject: Subject | None) -> str | None:
    """Why the subject's processing state rules marketing out, if it does."""
    if subject is None:
        return "unknown data subject"
    if subject.erased_at is not None:
        return "the person has been erased"
    if subject.restricted_at is not None:
        return "processing is restricted"
    if subject.marketing_objection_at is not None:
        return "the person objected to marketing"
    return None


def contribute_to_view(uow: UnitOfWork, request: ViewRequest, view: CustomerView) -> None:
    """Add the marketing consent per channel to the single customer view's preferences."""
    if view.preferences is None:
        return
    state = marketing_state(uow.session, request.subject_id)
    view.preferences.channels = {str(channel): granted for channel, granted in state.items()}
