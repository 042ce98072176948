"""The wireless opening window (IS-WIFI-HOURS), in the policy's time zone.

Everything is computed from the aware UTC instant: the local date and time come from
``zoneinfo``, so the window opens at 08:00 UK time on both sides of a clock change, and the
closing instant of a day is that day's 18:30 in whichever offset applies then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from klaremont.clock import ensure_utc
from klaremont.policy.model import WEEKDAYS, WifiPolicy

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


@dataclass(frozen=True, slots=True)
class Window:
    """Whether the wireless is open at one instant and, if so, when it closes."""

    open: bool
    reason: str  # "open", "closed_day", "closed_date", "before_opening", "after_closing"
    closes_at: datetime | None  # UTC

    def seconds_to_close(self, now: datetime) -> int:
        """Whole seconds from ``now`` to closing (0 when closed)."""
        if self.closes_at is None:
            return 0
        return max(0, int((self.closes_at - ensure_utc(now)).total_seconds()))


def window(policy: WifiPolicy, now: datetime) -> Window:
    """The window at ``now``."""
    zone = policy.zone()
    local = ensure_utc(now).astimezone(zone)
    if local.weekday() not in policy.weekday_numbers():
        return Window(open=False, reason="closed_day", closes_at=None)
    if local.date() in policy.closed_dates:
        return Window(open=False, reason="closed_date", closes_at=None)
    opens = datetime.combine(local.date(), policy.open, tzinfo=zone)
    closes = datetime.combine(local.date(), policy.close, tzinfo=zone)
    if local < opens:
        return Window(open=False, reason="before_opening", closes_at=None)
    if local >= closes:
        return Window(open=False, reason="after_closing", closes_at=None)
    return Window(open=True, reason="open", closes_at=ensure_utc(closes))


def describe(policy: WifiPolicy) -> str:
    """The window in words: ``Monday to Friday, 08:00 to 18:30 (UK time)``."""
    days = policy.days
    ordered = sorted(days, key=WEEKDAYS.index)
    indexes = [WEEKDAYS.index(d) for d in ordered]
    if len(ordered) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):  # noqa: PLR2004
        span = f"{DAY_NAMES[ordered[0]]} to {DAY_NAMES[ordered[-1]]}"
    else:
        span = ", ".join(DAY_NAMES[d] for d in ordered)
    zone = "UK time" if policy.timezone == "Europe/London" else policy.timezone
    return f"{span}, {policy.open:%H:%M} to {policy.close:%H:%M} ({zone})"


def closed_message(policy: WifiPolicy) -> str:
    """The Reply-Message of a login refused outside the window."""
    return f"The wireless network is closed. It is open {describe(policy)}."
