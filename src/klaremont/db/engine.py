"""Engines for the data store and the keystore: SQLite (WAL, foreign keys) or PostgreSQL."""

from __future__ import annotations

import heapq
import itertools
import sqlite3
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled server connection idle longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0
_CHECKED_IN = "klaremont.checked_in"
# Execution option: this connection only reads, so SQLite may begin it DEFERRED (a read
# snapshot in WAL mode) instead of taking the write lock with BEGIN IMMEDIATE.
READ_ONLY = "klaremont_read_only"


class BlockingOnEventLoop(RuntimeError):
    """A transaction began on the event loop's thread (a programming error).

    A statement there blocks every request of the process while it waits, and a wait for
    a lock another request holds never ends: that request needs the event loop to finish.
    Database work belongs in the thread pool (``run_in_threadpool``, ``committed``).
    """

    def __init__(self) -> None:
        super().__init__(
            "a database transaction began on the event loop; run it in the thread pool"
        )


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain ``postgresql://`` URLs."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Create an engine with Klaremont's connection rules applied.

    SQLite: WAL journal, foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` for every
    transaction so concurrent writers queue instead of failing on a stale snapshot.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
    _ping_when_idle(engine)
    event.listen(engine, "begin", lambda _connection: refuse_event_loop())
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has sat idle for a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: two extra round trips per
    request under load, when a connection returned milliseconds ago cannot have gone
    stale unnoticed. A connection idle for longer than :data:`IDLE_PING_SECONDS` (a
    database restart overnight, a firewall dropping idle sessions) is pinged, and a dead
    one is replaced before the caller sees it. A connection that dies while busy fails
    that statement; SQLAlchemy then discards every pooled connection made before it.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        returned = record.info.get(_CHECKED_IN)
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return  # new, or returned moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # the pool discards this connection and checks out (or makes) another
            raise exc.DisconnectionError(str(error)) from error


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's begin event below own transaction boundaries.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    gate = WriteGate()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        refuse_event_loop()
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # deferred: a snapshot, no write lock
            return
        holder = connection.connection.dbapi_connection
        gate.enter(holder)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(holder)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        if not (connection.closed or connection.invalidated):  # else checkin/invalidate opens it
            gate.leave(connection.connection.dbapi_connection)

    # However a connection leaves its transaction (returned to the pool, closed, found
    # broken), the gate opens: a lost release must never stop every later request.
    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "close")
    @event.listens_for(engine, "invalidate")
    def _on_release(dbapi_connection: Any, *_args: Any) -> None:
        gate.leave(dbapi_connection)


@dataclass(eq=False)
class _Waiter:
    """One thread waiting at the gate for ``connection``."""

    connection: object
    woken: threading.Event = field(default_factory=threading.Event)
    granted: bool = False
    gave_up: bool = False


class WriteGate:
    """The write lock's queue inside one process, in front of SQLite's own lock.

    SQLite's busy handler polls: a waiting connection sleeps 1, 2, 5 ... up to 100 ms
    between tries, so under load a waiter can miss many hand-overs in a row (a few
    requests took seconds while the median was milliseconds). The threads of one process
    therefore queue here, where a release hands the lock straight to the next waiter, and
    only one of them at a time meets SQLite's lock (other processes still queue there).

    The next waiter is the one whose request **arrived first** (:data:`ARRIVED`, set by
    the web middleware; work outside a request counts from when it asks). A request that
    needs the lock twice -- a sign-in claims its attempt, verifies the password with no
    lock held, then records the outcome -- therefore waits behind the requests older than
    itself only, not a second time behind everything that arrived while it hashed; and no
    waiter can be overtaken for ever, as with a plain lock's arbitrary wake-ups. A wait
    longer than the busy timeout fails like SQLite's own ("database is locked", answered
    503).
    """

    def __init__(self, timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000) -> None:
        self._timeout = timeout
        self._mutex = threading.Lock()
        self._holder: object | None = None
        self._queue: list[tuple[float, int, _Waiter]] = []
        self._order = itertools.count()

    def enter(self, connection: object) -> None:
        """Wait for the gate (at most the busy timeout) on behalf of ``connection``."""
        arrived = ARRIVED.get()
        priority = time.monotonic() if arrived is None else arrived
        with self._mutex:
            if self._holder is None and not self._queue:
                self._holder = connection
                return
            waiter = _Waiter(connection)
            heapq.heappush(self._queue, (priority, next(self._order), waiter))
        if waiter.woken.wait(timeout=self._timeout):
            return
        with self._mutex:
            if waiter.granted:  # handed over just as the wait ran out
                return
            waiter.gave_up = True
        raise exc.OperationalError(
            "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
        )

    def leave(self, connection: object) -> None:
        """Hand the gate on if ``connection`` holds it (its transaction ended)."""
        with self._mutex:
            if self._holder is not connection:
                return
            self._holder = None
            while self._queue:
                waiter = heapq.heappop(self._queue)[2]
                if not waiter.gave_up:
                    self._holder = waiter.connection
                    waiter.granted = True
                    waiter.woken.set()
                    return


# When the current request arrived (``time.monotonic()``; set by the web middleware, and
# inherited by the worker threads that serve it): the write gate serves the oldest first.
ARRIVED: ContextVar[float | None] = ContextVar("klaremont_arrived", default=None)


# The thread whose event loop serves the current request (set by the web middleware for
# each request; worker threads inherit the value, and are not that thread).
SERVING_THREAD: ContextVar[int | None] = ContextVar("klaremont_serving_thread", default=None)


def refuse_event_loop() -> None:
    """Raise :class:`BlockingOnEventLoop` on the event loop thread serving a request."""
    if SERVING_THREAD.get() == threading.get_ident():
        raise BlockingOnEventLoop


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded database."""
    return engine.dialect.name == "sqlite"


def truncate_wal(engine: Engine) -> None:
    """SQLite: copy the write-ahead log into the database file and empty it, so pages as
    they were before a delete or an overwrite do not linger in the log. No-op elsewhere."""
    if not is_sqlite(engine):
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()
