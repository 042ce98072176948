"""Background sealing: checkpoints written off the committing thread, at most one per interval.

With ``KLAREMONT_AUDIT_SEAL_INTERVAL_MS`` above 0 a commit only notes its new head and
wakes a :class:`Sealer`. The sealer's daemon thread signs a checkpoint of the newest
committed head at once when none was written during the last interval, and otherwise when
the interval ends: a burst of commits shares one checkpoint, while a commit after a quiet
spell is sealed straight away. Because each hash commits to every event before it, the
checkpoint of the newest head seals every event committed before it, so nothing is lost by
skipping the heads in between.

The thread starts on first need and ends after :data:`IDLE_EXIT_S` without work (the next
commit starts another). It never raises: a failure is logged without a stack trace and the
events stay committed, shown by ``audit verify`` as an unsealed tail until a later
checkpoint covers them. :meth:`Sealer.close` stops the thread and seals what is left; it
runs at interpreter exit for every live sealer. A forked child forgets the parent's thread
and pending work (the parent seals its own commits) and starts its own thread when it
first commits.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)

IDLE_EXIT_S = 30.0  # a thread with nothing to seal for this long ends; the next commit starts one
EXIT_TIMEOUT_S = 10.0  # at interpreter exit, wait at most this long for a stuck write


class Sealer:
    """Runs ``seal`` (seal the newest committed head) in a daemon thread, rate-limited.

    ``behind()`` says whether a committed head is still unsealed (a flush in another thread
    may have sealed it); ``flush(timeout)`` seals what is left in the caller's thread (used
    by :meth:`close`); ``after_fork`` lets the owner reset its own locks in a forked child.
    """

    def __init__(
        self,
        seal: Callable[[], None],
        *,
        interval: float,
        behind: Callable[[], bool],
        flush: Callable[[float | None], bool],
        after_fork: Callable[[], None],
        name: str = "klaremont-audit-sealer",
    ) -> None:
        if interval <= 0:
            msg = "the seal interval must be positive (0 means sealing in the committing thread)"
            raise ValueError(msg)
        self.interval = interval
        self._seal = seal
        self._behind = behind
        self._flush = flush
        self._after_fork = after_fork
        self._name = name
        self._reset()
        _LIVE.add(self)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pending = False  # a committed head may be unsealed
        self._idle = False  # the thread waits for work: wake it on request
        self._busy = False  # the thread is sealing
        self._stopping = False
        self._last = -math.inf  # time.monotonic() of this process's last checkpoint
        self._pid = os.getpid()

    # ------------------------------------------------------------------ committing side

    def mark_written(self) -> None:
        """A checkpoint was just written (by the thread or anyone): the interval restarts."""
        self._last = time.monotonic()

    def check_pid(self) -> None:
        """Reset if this is a forked child the fork hooks missed (call before noting a head)."""
        if self._pid != os.getpid():
            self.reset_after_fork()

    def request(self) -> None:
        """A head was committed: seal it now, or when the interval since the last one ends."""
        with self._cond:
            self._pending = True
            thread = self._thread
            if thread is None or not thread.is_alive():
                if not self._stopping:
                    self._start()
            elif self._idle:
                self._cond.notify()

    @property
    def running(self) -> bool:
        """True while this process's sealer thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing requested is waiting to be sealed; ``False`` on timeout.

        A head waiting for the interval to end counts as waiting: use :meth:`flush` on the
        owner to seal at once.
        """
        with self._cond:
            return self._cond.wait_for(lambda: not (self._pending or self._busy), timeout)

    # ------------------------------------------------------------------ the thread

    def _start(self) -> None:
        thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread = thread
        thread.start()

    def _run(self) -> None:
        me, cond = threading.current_thread(), self._cond  # reset_after_fork replaces _cond
        while True:
            with cond:
                if not self._wait_for_work(me, cond):
                    return
                self._busy = True
            try:
                self._seal()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any failure
                # No stack trace and no message: only the kind of failure is logged.
                logger.error("audit sealer: checkpoint not written (%s)", type(exc).__name__)  # noqa: TRY400
            finally:
                with cond:
                    if self._thread is me:
                        self._busy = False
                    cond.notify_all()

    def _wait_for_work(self, me: threading.Thread, cond: threading.Condition) -> bool:
        """With ``cond`` held: wait for a head to seal and for the interval; ``False``: exit."""
        idle_since = time.monotonic()
        while True:
            if self._stopping or self._thread is not me or self._cond is not cond:
                if self._thread is me:  # not replaced (by a newer thread, or after a fork)
                    self._thread = None
                    self._idle = False
                cond.notify_all()
                return False
            self._idle = False
            if not self._pending:
                if time.monotonic() - idle_since >= IDLE_EXIT_S:
                    self._thread = None
                    cond.notify_all()
                    return False
                self._idle = True
                cond.notify_all()  # wake wait_idle
                cond.wait(IDLE_EXIT_S)
                continue
            if not self._behind():  # sealed meanwhile (a flush): nothing to wait for
                self._pending = False
                continue
            delay = self._last + self.interval - time.monotonic()
            if delay > 0:
                cond.wait(delay)  # requests do not wake it: only stop() does
                continue
            self._pending = False
            return True

    # ------------------------------------------------------------------ ending

    def stop(self, timeout: float | None = None) -> bool:
        """End the thread (a later request starts a new one); ``False`` if it did not end."""
        with self._cond:
            thread = self._thread
            if thread is None:
                return True
            self._stopping = True
            self._cond.notify_all()
        thread.join(timeout)
        with self._cond:
            self._stopping = False
        return not thread.is_alive()

    def close(self, timeout: float | None = None) -> bool:
        """Stop the thread and seal every head committed so far; ``True`` when all are sealed."""
        self.stop(timeout)
        return self._flush(timeout)

    def reset_after_fork(self) -> None:
        """In a forked child: no thread, no pending work (the parent seals its own commits)."""
        self._reset()
        self._after_fork()


_LIVE: weakref.WeakSet[Sealer] = weakref.WeakSet()


def _close_all() -> None:
    """At interpreter exit: seal what every live sealer has pending."""
    for sealer in list(_LIVE):
        try:
            sealer.close(EXIT_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - exit must go on; say what failed, briefly
            logger.error("audit sealer: final checkpoint not written (%s)", type(exc).__name__)  # noqa: TRY400


def _reset_all_after_fork() -> None:
    for sealer in list(_LIVE):
        sealer.reset_after_fork()


atexit.register(_close_all)
if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_reset_all_after_fork)
