"""The policy file's building blocks: the strict, frozen base of every table, the small
validators the tables share (ranges, uniqueness, times, dates, time zones), and the types.

A rule that spans several fields raises ``ValueError("<field>: <rule>")`` so the loader can
name the exact dotted key (see :mod:`klaremont.policy.loader`).
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
)

from klaremont.policy.countries import check_alpha2

if TYPE_CHECKING:
    from collections.abc import Sequence


def between(lo: int, hi: int, why: str = "") -> AfterValidator:
    """A validator refusing integers outside ``lo..hi`` with a readable rule."""
    rule = f"must be {lo}" if lo == hi else f"must be an integer from {lo} to {hi}"
    suffix = f" ({why})" if why else ""

    def check(value: int) -> int:
        if not lo <= value <= hi:
            raise ValueError(f"{rule}{suffix}, not {value}")
        return value

    return AfterValidator(check)


def _unique(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"must not list {value!r} twice")
        seen.add(value)
    return values


def _raise_all(problems: Sequence[str]) -> None:
    """Raise one ValueError carrying every ``field: rule`` line (the loader splits them)."""
    if problems:
        raise ValueError("\n".join(problems))


_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _parse_hhmm(value: object) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ValueError("must be a 24-hour time written 'HH:MM', such as '08:00'")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _check_timezone(key: str) -> str:
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{key!r} is not an IANA time zone known to zoneinfo") from exc
    return key


ClockTime = Annotated[
    time, PlainValidator(_parse_hhmm), PlainSerializer(lambda t: t.strftime("%H:%M"))
]


def _parse_date(value: object) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date written YYYY-MM-DD, such as 2026-12-25")


CalendarDate = Annotated[date, PlainValidator(_parse_date), PlainSerializer(date.isoformat)]
CountryCode = Annotated[str, AfterValidator(check_alpha2)]
Text = Annotated[str, Field(min_length=1)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Approval = Literal["line_manager", "technical_operations"]


class Section(BaseModel):
    """Base of every policy table: strict, frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
