"""Scanning in a process of its own, for a caller that holds SQLite connections.

SQLite keeps its locks as POSIX advisory locks, which belong to a process and a file, not to
a file handle: when any handle of the process to a database file is closed, every lock the
process holds on that file is gone. A scan that opened the platform's own database, its
write-ahead log or keystore with a handle of its own, inside the server or the job worker,
would on closing it drop the locks of the platform's live connections; another process
(a ``klaremont`` command) would then believe it is alone and checkpoint and delete the
write-ahead log under the server's feet. So the server, the worker and the command run a
scan in a freshly started process (``spawn``: no inherited locks, no inherited threads) and
take its result and its progress back.
"""

from __future__ import annotations

import multiprocessing
import queue
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from klaremont.scan import engine

if TYPE_CHECKING:
    from rich.progress import Progress

    from klaremont.scan.findings import ScanResult

_POLL_SECONDS = 0.1


def _child(request: engine.ScanRequest, events: Any) -> ScanResult:
    return engine.run(request, sink=lambda kind, value: events.put((kind, value)))


def run_apart(request: engine.ScanRequest, progress: Progress | None = None) -> ScanResult:
    """Run :func:`klaremont.scan.engine.run` in a new process; show its progress here."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(1, mp_context=context) as pool:
        events = manager.Queue()
        future = pool.submit(_child, request, events)
        task = progress.add_task("Scanning", total=None) if progress is not None else None
        while True:
            try:
                kind, value = events.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if future.done():
                    break
                continue
            if progress is None or task is None:
                continue
            if kind == "total":
                progress.update(task, total=int(value))
            elif kind == "bytes":
                progress.advance(task, int(value))
            else:
                progress.update(task, description=str(value)[-48:])
        return future.result()
