"""Time for every service: always UTC, always injectable so tests move time without patching."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

UK_TIME = ZoneInfo("Europe/London")


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the wall-clock time in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; used by tests and by the demo seeder."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = ensure_utc(start) if start else datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the frozen time."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by ``delta`` and return the new time."""
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when``."""
        with self._lock:
            self._now = ensure_utc(when)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; naive values are refused, not guessed."""
    if value.tzinfo is None:
        msg = "naive datetime refused: every timestamp in Klaremont is timezone-aware UTC"
        raise ValueError(msg)
    return value.astimezone(UTC)


def uk_date(when: datetime) -> date:
    """The UK calendar date of an aware instant."""
    if when.tzinfo is None:
        msg = "naive datetime refused: deadlines need an aware instant"
        raise ValueError(msg)
    return when.astimezone(UK_TIME).date()
