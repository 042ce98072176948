"""The real app under uvicorn in a thread of the test process, for browser and load tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn

from klaremont.web.app import create_app

if TYPE_CHECKING:
    from klaremont.platform import Platform

START_TIMEOUT_SECONDS = 30.0


class ServerDidNotStart(RuntimeError):
    """uvicorn did not start serving in time."""


@contextmanager
def live_server(platform: Platform) -> Iterator[str]:
    """Serve ``platform``'s app on a free loopback port; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(
        create_app(platform),
        host="127.0.0.1",
        port=port,
        log_config=None,  # leave the logging set-up alone (other tests read it)
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            msg = "the test server did not start"
            raise ServerDidNotStart(msg)
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
