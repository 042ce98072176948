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

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, bindparam, insert, select

from klaremont.db.engine import is_sqlite
from klaremont.logging import get_logger
from klaremont.wifi import hours
from klaremont.wifi.authorize import Attempt, Decision, accept
from klaremont.wifi.codes import code_digest, normalise_code, normalise_mac
from klaremont.wifi.models import DeviceKind, GuestCode, GuestDevice, WifiLogin

if TYPE_CHECKING:
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
BATCH_LIMIT = 1000
IDLE_SECONDS = 0.05
BUSY_SECONDS = 0.25


class LoginWriter:
    """The fast path's login records, committed in batches by the server's own loop after
    it has answered: at the first quiet moment 50 ms after the oldest record, or once a
    quarter of a second or a thousand records have gathered while requests keep coming.

    The request loop never commits per answer (a commit and its WAL work would queue the
    requests behind it), and a thread of its own would fight the loop for the interpreter.
    """

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.rows: list[dict[str, Any]] = []
        self.since = 0.0
        self.written = 0
        self._statement = insert(cast("Any", WifiLogin.__table__))
        self._lock = threading.Lock()  # the loop commits; close() may come from elsewhere

    def add(self, row: dict[str, Any]) -> None:
        """Queue one record."""
        with self._lock:
            if not self.rows:
                self.since = time.monotonic()
            self.rows.append(row)

    def due(self, *, idle: bool) -> bool:
        """Whether to commit now (``idle``: no request is waiting)."""
        if not self.rows:
            return False
        age = time.monotonic() - self.since
        limit = IDLE_SECONDS if idle else BUSY_SECONDS
        return age >= limit or len(self.rows) >= BATCH_LIMIT

    def commit(self) -> int:
        """Write the queued records in one transaction; returns how many."""
        with self._lock:
            if not self.rows:
                return 0
            rows, self.rows = self.rows, []
            try:
                with self.platform.engine.begin() as conn:
                    conn.execute(self._statement, rows)
            except Exception:  # the server must outlive one failed batch; it is logged
                log.exception("wifi.login_records_lost", count=len(rows))
                return 0
            self.written += len(rows)
            return len(rows)

    def close(self) -> None:
        """Commit what is queued."""
        self.commit()


def _utc(value: Any) -> datetime | None:
    """A timestamp as the driver returns it (SQLite text, a naive or aware datetime)."""
    if value is None:
        return None
    when: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _ends(row: tuple[Any, ...] | None) -> datetime | None:
    """When a held code stops working, or ``None`` if the device is not bound to it or
    the code is revoked (the full path then decides, and records why)."""
    if row is None:
        return None
    _code_id, revoked_at, expires_at, first_used_at, valid_seconds, device_id = row
    ends = _utc(expires_at)
    if device_id is None or revoked_at is not None or ends is None:
        return None
    first = _utc(first_used_at)
    if first is not None:
        ends = min(ends, first + timedelta(seconds=int(valid_seconds)))
    return ends


class FastPath:
    """Decides the common case of a returning guest device without a write transaction."""

    def __init__(self, platform: Platform, secret: str) -> None:
        self.platform = platform
        self.secret = secret
        self.writer = LoginWriter(platform)
        compiled = _HELD.compile(dialect=platform.engine.dialect)
        self._sql = str(compiled)
        self._positions = compiled.positiontup  # None for named parameter styles
        self._raw: Any = None

    def _held(self, digest: str, mac: str) -> tuple[Any, ...] | None:
        """The code row and the device's binding, read on a connection kept for the
        server's life, in autocommit: every read sees what was committed before it (a
        revocation by another process included). The statement is compiled once, for the
        database in use, and runs on the driver's own cursor."""
        for attempt in (1, 2):
            try:
                cursor = self._cursor()
                cursor.execute(self._sql, self._params(digest, mac))
                row: tuple[Any, ...] | None = cursor.fetchone()
                cursor.close()
            except self._errors():
                self.close_connection()
                if attempt == 2:  # noqa: PLR2004 - the second try, after a reconnect
                    raise
                continue
            return row
        return None  # pragma: no cover - the loop returns or raises

    def _errors(self) -> type[Exception]:
        dbapi: Any = self.platform.engine.dialect.dbapi
        error: type[Exception] = dbapi.Error
        return error

    def _cursor(self) -> Any:
        if self._raw is None:
            raw = self.platform.engine.raw_connection()
            driver: Any = raw.driver_connection
            raw.detach()  # ours alone: it never goes back to the pool in autocommit
            if is_sqlite(self.platform.engine):
                driver.isolation_level = None
            else:
                driver.autocommit = True
            self._raw = raw
        return self._raw.cursor()

    def _params(self, digest: str, mac: str) -> Any:
        values = {"digest": digest, "mac": mac}
        if not self._positions:
            return values
        return tuple(values[name] for name in self._positions)

    def close_connection(self) -> None:
        """Close the kept connection (it is opened again when next needed)."""
        if self._raw is not None:
            try:
                self._raw.close()
            finally:
                self._raw = None

    def close(self) -> None:
        """Commit the queued records and close the kept connection."""
        self.writer.close()
        self.close_connection()

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
        ends = _ends(row)
        if row is None or ends is None or ends <= now:
            return None
        code_id = row[0]
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
                "code_id": code_id if isinstance(code_id, uuid.UUID) else uuid.UUID(str(code_id)),
                "username": None,
                "session_timeout": timeout,
                "client_ip": None,
            }
        )
        return decision
