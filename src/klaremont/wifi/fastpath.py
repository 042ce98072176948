"""The RADIUS server's fast path: a guest device coming back on a code it already holds.

Most Access-Requests are a device the code already admitted (a phone reconnecting, the
access point asking again at the Session-Timeout). That answer needs no write: one read
of the code and its device binding, in a snapshot (no write lock on SQLite), decides it;
the login's record is committed by a writer thread, in batches, milliseconds after the
answer. Everything else (a first use, a refusal, a staff
device, a login page ticket) takes the full path in :mod:`klaremont.wifi.authorize`, one
transaction per request. The code row is read afresh on every request, so a revocation or
an expiry is seen on the very next request, by every server process.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, insert, select
from sqlalchemy.exc import DBAPIError

from klaremont.db.engine import READ_ONLY
from klaremont.logging import get_logger
from klaremont.wifi import hours
from klaremont.wifi.authorize import Attempt, Decision, accept
from klaremont.wifi.codes import code_digest, normalise_code, normalise_mac
from klaremont.wifi.models import DeviceKind, GuestCode, GuestDevice, WifiLogin

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from klaremont.platform import Platform

log = get_logger("klaremont.wifi.radius")
_CODES = GuestCode.__table__
_DEVICES = GuestDevice.__table__
_HELD = (
    select(
        _CODES.c.id,
        _CODES.c.revoked_at,
        _CODES.c.expires_at,
        _CODES.c.first_used_at,
        _CODES.c.valid_seconds,
        _DEVICES.c.id.label("device_id"),
    )
    .select_from(
        _CODES.outerjoin(
            _DEVICES, and_(_DEVICES.c.code_id == _CODES.c.id, _DEVICES.c.mac == bindparam("mac"))
        )
    )
    .where(_CODES.c.code_digest == bindparam("digest"))
)
BATCH_LIMIT = 2000
GATHER_SECONDS = 0.02
_STOP = object()


class LoginWriter:
    """Commits the fast path's login records from a thread of its own, in batches: the
    request loop never waits for a write (a WAL checkpoint, a busy database), and each
    record is committed within milliseconds of its answer."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.queue: queue.Queue[object] = queue.Queue()
        self.written = 0
        self._thread = threading.Thread(target=self._run, name="wifi-login-writer", daemon=True)
        self._thread.start()

    def add(self, row: dict[str, Any]) -> None:
        """Queue one record."""
        self.queue.put(row)

    def _run(self) -> None:
        table: Any = WifiLogin.__table__
        statement = insert(table)
        stopping = False
        while not stopping:
            first = self.queue.get()
            time.sleep(GATHER_SECONDS)  # let a batch gather: one commit, not one per row
            rows: list[object] = [first]
            while len(rows) < BATCH_LIMIT:
                try:
                    rows.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(row is _STOP for row in rows)
            batch = [row for row in rows if isinstance(row, dict)]
            if not batch:
                continue
            try:
                with self.platform.engine.begin() as conn:
                    conn.execute(statement, batch)
                self.written += len(batch)
            except Exception:  # the writer must outlive one bad batch
                log.exception("wifi.login_records_lost", count=len(batch))

    def close(self) -> None:
        """Commit what is queued and stop."""
        self.queue.put(_STOP)
        self._thread.join(timeout=30)


class FastPath:
    """Decides the common case of a returning guest device without a write transaction."""

    def __init__(self, platform: Platform, secret: str) -> None:
        self.platform = platform
        self.secret = secret
        self.reader = platform.engine.execution_options(**{READ_ONLY: True})
        self.writer = LoginWriter(platform)
        self._conn: Connection | None = None

    def _held(self, digest: str, mac: str) -> Any:
        """The code row and the device's binding; one connection kept for the server's
        life, each read its own short transaction (a fresh snapshot every request)."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self.reader.connect()
            try:
                row = self._conn.execute(_HELD, {"digest": digest, "mac": mac}).first()
                self._conn.rollback()
            except DBAPIError:
                self.close()
                if attempt == 2:  # noqa: PLR2004 - the second try after a reconnect
                    raise
                continue
            return row
        return None  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        """Commit the queued records and give the kept connection back."""
        self.writer.close()
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def guest(self, attempt: Attempt) -> Decision | None:
        """The decision for a device the code already admitted, or ``None`` (full path)."""
        plain = normalise_code(attempt.password or "")
        mac = normalise_mac(attempt.calling_station or "")
        if plain is None or mac is None:
            return None
        now = self.platform.clock.now()
        window = hours.window(self.platform.policy.wifi, now)
        if not window.open:
            return None
        row = self._held(code_digest(self.secret, plain), mac)
        if row is None or row.device_id is None or row.revoked_at is not None:
            return None
        ends: datetime = row.expires_at
        if row.first_used_at is not None:
            ends = min(ends, row.first_used_at + timedelta(seconds=row.valid_seconds))
        if ends <= now:
            return None
        timeout = max(1, min(int((ends - now).total_seconds()), window.seconds_to_close(now)))
        decision = accept(DeviceKind.GUEST, timeout)
        self.writer.add(
            {
                "id": uuid.uuid4(),
                "at": now,
                "kind": DeviceKind.GUEST,
                "accepted": True,
                "reason": decision.reason,
                "mac": mac,
                "access_point": attempt.access_point,
                "code_id": row.id,
                "username": None,
                "session_timeout": timeout,
                "client_ip": None,
            }
        )
        return decision
