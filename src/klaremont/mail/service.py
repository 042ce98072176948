"""The outbox service: queue a templated message, find what is due, deliver one, retry later.

:func:`enqueue` is the only way in: it renders a :mod:`~klaremont.mail.templates`
template and runs the personal-data guard before anything is stored. :func:`deliver`
sends one due message and records the outcome; a transient failure is retried with
exponential backoff until ``max_attempts``. Services add and flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.mail.smtp import DeliveryError
from klaremont.mail.templates import check_body

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from klaremont.mail.config import MailSettings
    from klaremont.mail.smtp import Transport
    from klaremont.mail.templates import Mail
    from klaremont.platform import UnitOfWork


@dataclass(frozen=True)
class Delivery:
    """What happened to one message in one attempt."""

    message_id: uuid.UUID
    status: MailStatus
    attempts: int
    error: str | None = None


def enqueue(
    uow: UnitOfWork,
    *,
    subject_id: uuid.UUID,
    to_address: str,
    mail: Mail,
    personal_values: Iterable[str] = (),
) -> OutboxMessage:
    """Queue ``mail`` for ``to_address``; refuses a body carrying personal data."""
    rendered = mail.render(uow.platform.settings.public_url)
    check_body(
        rendered.body,
        recipient=to_address,
        personal_values=personal_values,
        safe_values=rendered.safe_values,
    )
    now = uow.clock.now()
    row = OutboxMessage(
        subject_id=subject_id,
        template=rendered.template,
        subject_line=rendered.subject_line,
        status=MailStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    row.to_address = to_address
    row.body = rendered.body
    uow.session.add(row)
    uow.session.flush()
    return row


def due_ids(session: Session, now: datetime, limit: int) -> list[uuid.UUID]:
    """Ids of pending messages whose next attempt is due, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == MailStatus.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
            .limit(limit)
        )
    )


def backoff(settings: MailSettings, attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failures: doubling, capped."""
    seconds = settings.backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.backoff_max_seconds))


def deliver(
    uow: UnitOfWork, message_id: uuid.UUID, transport: Transport, settings: MailSettings
) -> Delivery | None:
    """Try one message now if it is still due; ``None`` when another worker has it or it is done."""
    now = uow.clock.now()
    row = uow.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == MailStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    try:
        to, body = row.to_address, row.body
    except SubjectKeyDestroyed:
        return _finish(row, MailStatus.CANCELLED, "recipient erased")
    if to is None or body is None:
        return _finish(row, MailStatus.CANCELLED, "nothing to send")
    row.attempts += 1
    # Claim the attempt and commit it before talking to the mail server, so no database
    # lock (on SQLite, the one write lock) is held for the network: the next attempt time
    # is a lease, so no other worker takes the message while this one sends it.
    row.next_attempt_at = now + backoff(settings, row.attempts)
    subject_line = row.subject_line
    uow.commit_step()
    try:
        transport.send(to=to, subject=subject_line, body=body)
    except DeliveryError as exc:
        if exc.permanent or row.attempts >= settings.max_attempts:
            return _finish(row, MailStatus.FAILED, exc.summary)
        row.last_error = exc.summary[:200]
        uow.session.flush()
        return Delivery(row.id, MailStatus.PENDING, row.attempts, row.last_error)
    row.sent_at = now
    return _finish(row, MailStatus.SENT, None)


def _finish(row: OutboxMessage, status: MailStatus, error: str | None) -> Delivery:
    row.status = status
    row.last_error = error[:200] if error else None
    row.body = None  # the code or link is no use once sent or abandoned: keep no copy
    return Delivery(row.id, status, row.attempts, row.last_error)


def cancel_for_subject(uow: UnitOfWork, subject_id: uuid.UUID) -> int:
    """Cancel every unsent message to a person (on erasure); returns how many."""
    rows = uow.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.subject_id == subject_id, OutboxMessage.status == MailStatus.PENDING
        )
    ).all()
    for row in rows:
        row.status = MailStatus.CANCELLED
        row.last_error = "cancelled: recipient erased"
        row.body = None  # dropped without decrypting it
    uow.session.flush()
    return len(rows)


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status."""
    result = dict.fromkeys((s.value for s in MailStatus), 0)
    for status in session.scalars(select(OutboxMessage.status)):
        result[str(status)] += 1
    return result


@dataclass(frozen=True)
class SentMessage:
    """What a page may show of one message: never its address or body."""

    template: str
    subject_line: str
    status: str
    created_at: datetime
    sent_at: datetime | None


def messages_to_subject(
    session: Session, subject_id: uuid.UUID, since: datetime, limit: int = 50
) -> list[SentMessage]:
    """The messages queued for a person since ``since``, oldest first (no address, no body:
    nothing sealed is opened)."""
    rows = session.execute(
        select(
            OutboxMessage.template,
            OutboxMessage.subject_line,
            OutboxMessage.status,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
        )
        .where(OutboxMessage.subject_id == subject_id, OutboxMessage.created_at >= since)
        .order_by(OutboxMessage.created_at)
        .limit(limit)
    )
    return [
        SentMessage(template, line, str(status), created, sent)
        for template, line, status, created, sent in rows
    ]
