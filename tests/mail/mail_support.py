"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) that records what arrives.

``refuse_first`` makes the server answer the first N messages with ``451 try again later``
(a transient failure), then accept.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from klaremont.audit.events import Actor, ActorType
from klaremont.db.subjects import Subject
from klaremont.mail.config import MailSettings
from klaremont.platform import Platform

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")


@dataclass
class Catcher:
    """The aiosmtpd handler: refuses the first messages if told to, keeps the rest."""

    refuse_first: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        """Refuse or keep one message."""
        with self._lock:
            if self.refused < self.refuse_first:
                self.refused += 1
                return "451 4.3.0 Try again later"
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(parsed)
        return "250 2.0.0 Message accepted"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(refuse_first: int = 0) -> Iterator[tuple[Catcher, MailSettings]]:
    """Run a real SMTP server; yield its catcher and mail settings pointing at it."""
    catcher = Catcher(refuse_first=refuse_first)
    port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield (
            catcher,
            MailSettings(
                host="127.0.0.1", port=port, timeout_seconds=5, backoff_seconds=60, max_attempts=4
            ),
        )
    finally:
        controller.stop()


def body_of(message: EmailMessage) -> str:
    """The plain-text body of a received message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def make_subject(platform: Platform) -> uuid.UUID:
    """A data subject to address mail to (sealed fields need its data key)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        subject = Subject(created_at=uow.clock.now())
        uow.session.add(subject)
        uow.session.flush()
        return subject.id
