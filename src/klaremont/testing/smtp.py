"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) that records what arrives.

One definition for every test suite that sends mail (the outbox, the privacy centre, the
consent CLI, the console's working day). ``refuse_first`` makes the server answer the first
N messages with ``451 try again later`` (a transient failure), then accept. aiosmtpd is a
development dependency: only tests import this module.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from aiosmtpd.controller import Controller

from klaremont.mail.config import MailSettings

if TYPE_CHECKING:
    from klaremont.platform import Platform


@dataclass
class Catcher:
    """The aiosmtpd handler: refuses the first messages if told to, keeps the rest."""

    refuse_first: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name and untyped arguments
        """Refuse or keep one message."""
        with self._lock:
            if self.refused < self.refuse_first:
                self.refused += 1
                return "451 4.3.0 Try again later"
            content = bytes(envelope.content)
            parsed = message_from_bytes(content, policy=policy.default)
            self.raw.append(content)
            self.received.append(parsed)
        return "250 2.0.0 Message accepted"

    def bodies_to(self, address: str) -> list[str]:
        """Plain-text bodies of the messages to ``address``, in arrival order."""
        with self._lock:
            messages = list(self.received)
        return [body_of(m) for m in messages if m["To"] == address]


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
    if part is None:
        msg = "the message has no plain-text body"
        raise AssertionError(msg)
    return str(part.get_content())


def deliver_mail(platform: Platform, settings: MailSettings) -> None:
    """Run the outbox once against the test SMTP server, as the worker's send-pending job does."""
    from klaremont.mail.runner import send_pending  # noqa: PLC0415 - loaded when mail is sent
    from klaremont.mail.smtp import SmtpTransport  # noqa: PLC0415

    send_pending(platform, SmtpTransport(settings), settings)
