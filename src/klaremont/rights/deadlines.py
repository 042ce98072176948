"""Statutory deadlines of data subject requests (UK GDPR Art. 12(3); DP-PROMPT).

The rules, as the ICO reads them:

* One calendar month from receipt, the day of receipt being day 1: a request received on
  3 September is due on 3 October. When the next month has no corresponding day, the
  deadline is that month's last day (received 31 January: due 28 or 29 February).
* While the requester's identity is being confirmed the clock is paused; each whole day
  paused moves the deadline one day later. So does each whole day the DPO stopped the clock
  while waiting for the requester to clarify the request or to send information needed
  (the ICO's "stop the clock"), counted whatever the policy says of identity pauses.
* The deadline may be extended by up to two further months (``policy.dsr``), counted from
  the day of receipt like the first month (received 31 January, extended by two months:
  due 30 April, before pauses), only with a reason, and only if the requester is told
  within the first month -- by the original (pause-adjusted) deadline.

Dates are UK calendar dates: a request arriving at 23:30 UTC in summer was received on the
next UK day. The month arithmetic is ``dateutil.relativedelta`` (as in policy periods).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

if TYPE_CHECKING:
    from collections.abc import Iterable

    from klaremont.policy.model import DsrPolicy


@dataclass(frozen=True, slots=True)
class Pause:
    """A span of UK days during which the clock stood still (``end`` ``None``: still paused)."""

    start: date
    end: date | None = None

    def days(self, today: date) -> int:
        """Whole days paused; an open pause counts up to ``today``."""
        end = self.end if self.end is not None else today
        return max(0, (end - self.start).days)


@dataclass(frozen=True, slots=True)
class Deadline:
    """Every date a request's clock produces."""

    received_on: date
    paused_days: int
    extension_months: int
    original_due: date  # one month after receipt, plus paused days
    due: date  # with the extension, if any
    extension_notice_by: date  # the last day on which the requester can be told of an extension

    def days_left(self, today: date) -> int:
        """Days until the deadline (0 on the day it falls due, negative once overdue)."""
        return (self.due - today).days

    def is_overdue(self, today: date) -> bool:
        """True from the day after the deadline."""
        return today > self.due


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later, or that month's last day when it has none."""
    return day + relativedelta(months=months)


def paused_days(pauses: Iterable[Pause], today: date) -> int:
    """Total whole days paused, counting overlapping pauses once."""
    spans = sorted((p.start, p.end if p.end is not None else today) for p in pauses)
    total = 0
    current_start: date | None = None
    current_end: date | None = None
    for start, end in spans:
        if end <= start:
            continue
        if current_end is None or current_start is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += (current_end - current_start).days
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += (current_end - current_start).days
    return total


def compute(
    received_on: date,
    *,
    deadline_months: int = 1,
    paused: int = 0,
    extension_months: int = 0,
    max_extension_months: int = 2,
    notice_within_months: int = 1,
) -> Deadline:
    """The deadline of a request received on ``received_on`` (a UK date)."""
    if paused < 0:
        msg = "paused days must not be negative"
        raise ValueError(msg)
    if not 0 <= extension_months <= max_extension_months:
        msg = f"an extension is 0 to {max_extension_months} months, not {extension_months}"
        raise ValueError(msg)
    shift = timedelta(days=paused)
    original = add_months(received_on, deadline_months) + shift
    due = add_months(received_on, deadline_months + extension_months) + shift
    notice_by = add_months(received_on, notice_within_months) + shift
    return Deadline(
        received_on=received_on,
        paused_days=paused,
        extension_months=extension_months,
        original_due=original,
        due=due,
        extension_notice_by=notice_by,
    )


def for_policy(
    policy: DsrPolicy,
    received_on: date,
    *,
    paused: int = 0,
    stopped: int = 0,
    extension_months: int = 0,
) -> Deadline:
    """:func:`compute` with the policy file's numbers: ``paused`` days waiting for identity
    (ignored when the policy says so) and ``stopped`` days the DPO stopped the clock."""
    return compute(
        received_on,
        deadline_months=policy.deadline_months,
        paused=(paused if policy.identity_pause else 0) + stopped,
        extension_months=extension_months,
        max_extension_months=policy.max_extension_months,
        notice_within_months=policy.extension_notice_within_months,
    )
