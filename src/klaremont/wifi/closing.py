"""Closing time (IS-WIFI-HOURS): sessions accounting still shows open after the window
closes are sent Disconnect-Requests, and the answers recorded.

The job runs every few minutes; outside the window it disconnects each open session once
(a session whose Disconnect went unanswered is tried again on the next run). The
Session-Timeout given at login already ends sessions at closing; this catches access
points that ignore it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from klaremont.wifi import disconnect, hours
from klaremont.wifi.actions import WifiAction
from klaremont.wifi.models import WifiSession

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork


def check(uow: UnitOfWork) -> dict[str, int]:
    """Disconnect the open sessions if the window is closed now; counts by answer."""
    now = uow.clock.now()
    if hours.window(uow.policy.wifi, now).open:
        return {}
    sessions = list(
        uow.session.scalars(
            select(WifiSession).where(
                WifiSession.stopped_at.is_(None),
                or_(
                    WifiSession.disconnect_answer.is_(None),
                    WifiSession.disconnect_answer != "ack",
                ),
            )
        )
    )
    counts = disconnect.disconnect_sessions(uow, sessions)
    if counts:
        uow.audit(
            WifiAction.DISCONNECTS_SENT,
            resource="wifi-closing",
            details={"answers": counts, "sessions": len(sessions)},
        )
    return counts


def run(platform: Platform) -> str:
    """The scheduled job: one line saying what it sent."""
    with platform.unit_of_work() as uow:
        counts = check(uow)
    if not counts:
        return "wireless closing: nothing to disconnect"
    words = ", ".join(f"{n} {answer}" for answer, n in sorted(counts.items()))
    return f"wireless closing: Disconnect-Requests sent ({words})"
