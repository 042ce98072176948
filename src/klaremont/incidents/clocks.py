"""Notification deadlines (SP-IRP-NOTIFY): pure arithmetic on UTC instants.

The ICO must be told within ``breach.notify_authority_hours`` (72) of awareness: real
hours, so the deadline is awareness plus that many hours in UTC, whatever the UK clock
does in between (a clock change makes the UK wall-clock difference 71 or 73 hours) and
whatever day of the week or bank holiday it falls on (UK GDPR Art. 33, ICO guidance).

The other parties have no statutory hour count; the tracker gives each a target:
the payment service provider and card brands within 24 hours (card-brand rules ask for
notice "immediately"; acquirer contracts commonly say within 24 hours), the affected
customers by the ICO's deadline ("without undue delay", Art. 34), the police with no
deadline (a decision is still needed before the case closes). Warnings go out 24 and
6 hours before a deadline (those that fall after awareness), and a missed deadline is
escalated to the directors once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from klaremont.clock import UK_TIME, ensure_utc
from klaremont.incidents.states import Recipient

PAYMENT_PROVIDER_HOURS: Final = 24
WARN_BEFORE: Final = (("24h", timedelta(hours=24)), ("6h", timedelta(hours=6)))
MISSED: Final = "missed"


def ico_deadline(aware_at: datetime, hours: int) -> datetime:
    """Awareness plus ``hours`` real hours (UTC arithmetic: clock changes do not count)."""
    return ensure_utc(aware_at) + timedelta(hours=hours)


def due_at(recipient: Recipient, aware_at: datetime, ico_hours: int) -> datetime | None:
    """When ``recipient`` should be told, or ``None`` when there is no deadline."""
    if recipient in {Recipient.ICO, Recipient.CUSTOMERS}:
        return ico_deadline(aware_at, ico_hours)
    if recipient is Recipient.PAYMENT_PROVIDER:
        return ensure_utc(aware_at) + timedelta(hours=PAYMENT_PROVIDER_HOURS)
    return None


@dataclass(frozen=True, slots=True)
class Stage:
    """One alert on the way to a deadline: a warning, or the deadline missed."""

    name: str
    at: datetime


def stages(aware_at: datetime, due: datetime) -> list[Stage]:
    """The warnings that fall after awareness, then the deadline itself ("missed")."""
    found = [Stage(name, due - before) for name, before in WARN_BEFORE if due - before > aware_at]
    return [*found, Stage(MISSED, due)]


def reached(aware_at: datetime, due: datetime, now: datetime) -> Stage | None:
    """The latest stage reached by ``now`` (``None`` before the first warning)."""
    passed = [stage for stage in stages(aware_at, due) if stage.at <= now]
    return passed[-1] if passed else None


def uk_when(when: datetime) -> str:
    """``Monday 9 March 2026, 09:30 GMT``: UK wall-clock time with its zone (GMT or BST)."""
    local = ensure_utc(when).astimezone(UK_TIME)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()}"


def uk_short(when: datetime) -> str:
    """``Mon 9 Mar 2026, 09:30 GMT``: the same, shorter, for tables and lists."""
    local = ensure_utc(when).astimezone(UK_TIME)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def span_words(delta: timedelta) -> str:
    """``2 days 3 hours``, ``5 hours 20 minutes``, ``40 minutes`` (rounded down to minutes)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    shown = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in parts if n]
    return " ".join(shown[:2]) or "less than a minute"


def left_words(now: datetime, due: datetime) -> str:
    """``due in 5 hours 20 minutes`` or ``overdue by 3 hours``."""
    if now >= due:
        return f"overdue by {span_words(now - due)}"
    return f"due in {span_words(due - now)}"


def from_uk_local(text: str) -> datetime:
    """A UK wall-clock time typed as ``2026-03-29T01:30`` (or with a space), as UTC.

    Raises ``ValueError`` with the rule in words: not a date and time, or a time that did
    not exist in the UK (the hour skipped when the clocks go forward). In the hour that
    happens twice when the clocks go back, the first (BST) is taken.
    """
    try:
        naive = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        msg = "must be a date and time such as 2026-03-02T09:30"
        raise ValueError(msg) from None
    if naive.tzinfo is not None:
        msg = "must be a UK time without an offset"
        raise ValueError(msg)
    local = naive.replace(tzinfo=UK_TIME, fold=0)
    utc = local.astimezone(UTC)
    if utc.astimezone(UK_TIME).replace(tzinfo=None) != naive:
        msg = "is a time that did not exist in the UK (the clocks went forward)"
        raise ValueError(msg)
    return utc
