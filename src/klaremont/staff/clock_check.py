"""Clock skew against ``settings.time_source`` (IS-AC-CLOCK), for the CLI and the console.

Login and audit timestamps are only comparable across systems if clocks agree. This
measures the platform clock against the configured NTP server with the policy package's
SNTP client; it never sets the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from klaremont.policy.sntp import SntpError, query_offset

if TYPE_CHECKING:
    from klaremont.platform import Platform

MAX_SKEW_SECONDS = 1.0


@dataclass(frozen=True)
class ClockReport:
    """What the check found; ``offset`` is ``None`` when nothing was measured."""

    source: str | None
    offset: float | None
    ok: bool
    detail: str


def check_clock(platform: Platform, *, timeout: float = 2.0) -> ClockReport:
    """Measure the skew of the platform clock against ``settings.time_source``, if set."""
    source = platform.settings.time_source
    if not source:
        return ClockReport(
            None, None, ok=True, detail="no time source configured; skew not measured"
        )
    try:
        offset = query_offset(source, now=lambda: platform.clock.now().timestamp(), timeout=timeout)
    except SntpError as exc:
        return ClockReport(source, None, ok=False, detail=f"{source} did not answer: {exc}")
    ok = abs(offset) <= MAX_SKEW_SECONDS
    verdict = "within" if ok else "outside"
    return ClockReport(
        source,
        offset,
        ok=ok,
        detail=f"clock is {offset:+.3f} s from {source} ({verdict} {MAX_SKEW_SECONDS:g} s)",
    )
