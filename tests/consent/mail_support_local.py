"""A minimal real SMTP server for the CLI test (aiosmtpd, 127.0.0.1, a free port)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        self.received.append(envelope.content)
        return "250 2.0.0 Message accepted"


@contextmanager
def smtp_catcher() -> Iterator[tuple[list[bytes], int]]:
    """Run the server; yield the list messages arrive in and the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    handler = _Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler.received, port
    finally:
        controller.stop()
