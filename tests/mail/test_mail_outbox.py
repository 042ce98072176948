"""The outbox and SMTP sender: real SMTP delivery, retries with backoff, permanent failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mail_support import TEST_ACTOR, body_of, free_port, make_subject, smtp_server
from sqlalchemy import select, text

from klaremont.mail.config import MailSettings
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.mail.runner import send_pending
from klaremont.mail.service import backoff, enqueue
from klaremont.mail.smtp import SmtpTransport
from klaremont.mail.templates import VerificationCode

ADDRESS = "ada.lovelace@example.com"


def _queue(platform, code: str = "12345678"):
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        row = enqueue(
            uow,
            subject_id=subject_id,
            to_address=ADDRESS,
            mail=VerificationCode(code=code, valid_minutes=60),
        )
        return row.id


def _row(platform, message_id):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        row = uow.session.get(OutboxMessage, message_id)
        assert row is not None
        return row.status, row.attempts, row.next_attempt_at, row.last_error, row.body


@pytest.mark.policy("IS-SENS-EMAIL")
def test_message_reaches_a_real_smtp_server(platform):
    """A queued message is delivered over SMTP, then its body is dropped from the outbox."""
    message_id = _queue(platform)
    with smtp_server() as (catcher, settings):
        report = send_pending(platform, SmtpTransport(settings), settings)
    assert report.count("sent") == 1
    assert len(catcher.received) == 1
    received = catcher.received[0]
    assert received["To"] == ADDRESS
    assert received["Subject"] == "Your Klaremont verification code"
    assert "12345678" in body_of(received)
    status, attempts, _, error, body = _row(platform, message_id)
    assert (status, attempts, error, body) == (MailStatus.SENT, 1, None, None)


@pytest.mark.policy("IS-SENS-EMAIL")
def test_recipient_and_body_are_sealed_at_rest(platform):
    """The outbox row holds ciphertext for the address and body, not the plaintext."""
    message_id = _queue(platform, code="87654321")
    with platform.engine.connect() as conn:
        raw = conn.execute(
            text("SELECT to_address, body FROM mail_outbox WHERE id = :id"),
            {"id": message_id.hex if platform.engine.dialect.name == "sqlite" else message_id},
        ).one()
    assert ADDRESS.encode() not in bytes(raw[0])
    assert b"87654321" not in bytes(raw[1])


@pytest.mark.policy("IS-SENS-EMAIL")
def test_transient_refusal_is_retried_with_backoff(platform, clock):
    """A server that first answers 451 gets the message again after the backoff, and accepts it."""
    message_id = _queue(platform)
    with smtp_server(refuse_first=2) as (catcher, settings):
        transport = SmtpTransport(settings)
        first = send_pending(platform, transport, settings)
        assert first.count("pending") == 1
        status, attempts, next_at, error, _ = _row(platform, message_id)
        assert (status, attempts, error) == (MailStatus.PENDING, 1, "SMTP 451 SMTPDataError")
        assert next_at == clock.now() + timedelta(seconds=60)
        assert send_pending(platform, transport, settings).due == 0  # not due yet
        clock.advance(timedelta(seconds=60))
        send_pending(platform, transport, settings)
        status, attempts, next_at, _, _ = _row(platform, message_id)
        assert (status, attempts) == (MailStatus.PENDING, 2)
        assert next_at == clock.now() + timedelta(seconds=120)
        clock.advance(timedelta(seconds=120))
        final = send_pending(platform, transport, settings)
    assert final.count("sent") == 1
    assert catcher.refused == 2
    assert len(catcher.received) == 1
    assert _row(platform, message_id)[:2] == (MailStatus.SENT, 3)


@pytest.mark.policy("IS-SENS-EMAIL")
def test_gives_up_after_max_attempts(platform, clock):
    """With nobody listening, the message is tried max_attempts times and then marked failed."""
    message_id = _queue(platform)
    settings = MailSettings(host="127.0.0.1", port=free_port(), max_attempts=3, timeout_seconds=2)
    transport = SmtpTransport(settings)
    for _ in range(3):
        send_pending(platform, transport, settings)
        clock.advance(timedelta(hours=1))
    status, attempts, _, error, body = _row(platform, message_id)
    assert (status, attempts, body) == (MailStatus.FAILED, 3, None)
    assert error == "ConnectionRefusedError"


@pytest.mark.policy("IS-SENS-EMAIL")
def test_backoff_doubles_and_is_capped():
    """Each failure doubles the wait, never beyond the cap."""
    settings = MailSettings(backoff_seconds=60, backoff_max_seconds=600)
    assert [backoff(settings, n).total_seconds() for n in range(1, 6)] == [60, 120, 240, 480, 600]


@pytest.mark.policy("PP-R-ERASE")
def test_erased_recipient_is_never_mailed(platform):
    """A message to a person whose data key was destroyed is cancelled, not sent."""
    message_id = _queue(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        row = uow.session.scalars(select(OutboxMessage)).one()
        uow.crypto.destroy(row.subject_id, "test erasure")
    with smtp_server() as (catcher, settings):
        send_pending(platform, SmtpTransport(settings), settings)
    assert catcher.received == []
    assert _row(platform, message_id)[0] == MailStatus.CANCELLED
