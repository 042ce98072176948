"""How values read to a person: UK dates and times, money in pounds (no machine formats).

Pages call these instead of printing ISO timestamps, pence or ids.
"""

from __future__ import annotations

from datetime import date, datetime

from klaremont.clock import UK_TIME

PENCE_PER_POUND = 100


def uk_time(when: datetime) -> str:
    """``14:05`` in UK time."""
    return when.astimezone(UK_TIME).strftime("%H:%M")


def uk_date(when: date | datetime) -> str:
    """``6 December 2026`` (a datetime is taken in UK time first)."""
    day = when.astimezone(UK_TIME).date() if isinstance(when, datetime) else when
    return f"{day.day} {day.strftime('%B %Y')}"


def uk_datetime(when: datetime) -> str:
    """``6 December 2026, 14:05`` in UK time."""
    return f"{uk_date(when)}, {uk_time(when)}"


def money(pence: int, currency: str = "GBP") -> str:
    """``£94.00`` from 9400 pence (other currencies as ``94.00 EUR``)."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), PENCE_PER_POUND)
    amount = f"{pounds:,}.{rest:02d}"
    if currency.upper() == "GBP":
        return f"{sign}£{amount}"
    return f"{sign}{amount} {currency.upper()}"


def plain_words(code: object) -> str:
    """``web_form`` -> ``web form`` (a stored code read as words)."""
    return str(code).replace("_", " ").replace("-", " ")


def login_retry_notice(retry_after: datetime, lock_minutes: int) -> str:
    """The sentence every failed staff login carries (same shape for every name)."""
    return (
        f"Repeated failures lock an account for {lock_minutes} minutes: if this account "
        f"is locked, you may try again after {uk_time(retry_after)} (UK time)."
    )
