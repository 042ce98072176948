"""Calendar periods in the policy file: ``"6y"``, ``"24m"``, ``"30d"``, ``"1y6m"``, ``"P6Y"``.

A :class:`Period` is calendar arithmetic, not a fixed number of seconds: one month after
31 January is the last day of February, and one year after 29 February is 28 February.
The short form is the ISO 8601 duration without its ``P`` (``1y6m`` is ``P1Y6M``): both are
read by ``isodate``, and the arithmetic is ``dateutil.relativedelta``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Self

import isodate
from dateutil.relativedelta import relativedelta
from pydantic_core import core_schema

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

_SHORT = re.compile(r"[0-9ymd]+")  # the ISO form's letters, in lower case, without the P
MAX_YEARS = 100
MAX_YEAR = 9999  # datetime.MAXYEAR
_MAX = {"years": MAX_YEARS, "months": MAX_YEARS * 12, "days": MAX_YEARS * 366}
FORMAT_RULE = (
    "must be a period such as '30d', '24m', '6y' or '1y6m' (ISO 8601 'P6Y' is accepted too)"
)


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar period of years, months and days (each non-negative, together non-zero)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        for name, limit in _MAX.items():
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must not be negative")
            if value > limit:
                raise ValueError(f"must be at most {MAX_YEARS} years ({name} > {limit})")
        if not (self.years or self.months or self.days):
            raise ValueError("must be longer than zero")

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read ``"6y"``, ``"24m"``, ``"30d"``, ``"1y6m"`` or ISO 8601 ``"P1Y6M"``."""
        cleaned = text.strip()
        if cleaned.startswith("P"):
            iso = cleaned
        elif _SHORT.fullmatch(cleaned):
            iso = "P" + cleaned.upper()
        else:
            raise ValueError(FORMAT_RULE)
        try:
            duration = isodate.parse_duration(iso)
        except (isodate.ISO8601Error, ValueError, ArithmeticError):
            raise ValueError(FORMAT_RULE) from None
        years, months, days = _whole_parts(duration)
        return cls(years=years, months=months, days=days)

    def isoformat(self) -> str:
        """The ISO 8601 duration (``P1Y6M``)."""
        return str(
            isodate.duration_isoformat(
                isodate.Duration(years=self.years, months=self.months, days=self.days)
            )
        )

    def add_to(self, when: datetime) -> datetime:
        """Return ``when`` moved on by this period, clamping month ends (31 Jan + 1m = 28/29 Feb).

        Years and months move first, on the calendar, then days are added. The time of day and
        the time zone are kept. Raises :class:`OverflowError` past year 9999.
        """
        try:
            moved = when + relativedelta(years=self.years, months=self.months)
        except ValueError:  # relativedelta's replace(): the year is out of range
            msg = f"{self} after {when.isoformat()} is past year {MAX_YEAR}"
            raise OverflowError(msg) from None
        return moved + timedelta(days=self.days)

    def cutoff(self, now: datetime) -> datetime:
        """A start ``t`` such that every start at or before it has ended by ``now``.

        So "due" is ``started <= period.cutoff(now)``, a comparison a database can index.
        It is never early. Month ends clamp (31 Jan + 1m = 28 Feb), so a start on the last
        days of a long month may come due up to three days after its exact end.
        """
        return now - timedelta(days=self.days) - relativedelta(years=self.years, months=self.months)

    def at_least(self, other: Period) -> bool:
        """True when this period never ends before ``other``, whatever day it starts on."""
        return all(self.add_to(start) >= other.add_to(start) for start in _reference_starts())

    def words(self) -> str:
        """``6 years``, ``1 year 6 months``, ``30 days``: the period as people say it."""
        parts = [
            f"{value} {unit}{'' if value == 1 else 's'}"
            for value, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if value
        ]
        return " ".join(parts) or "0 days"

    def __str__(self) -> str:
        text = "".join(
            f"{value}{unit}"
            for value, unit in ((self.years, "y"), (self.months, "m"), (self.days, "d"))
            if value
        )
        return text or "0d"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from a period string (or a Period); serialise back to the short string."""
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def _coerce(cls, value: object) -> Period:
        if isinstance(value, Period):
            return value
        if not isinstance(value, str):
            raise ValueError(f"{FORMAT_RULE}, not {type(value).__name__}")  # noqa: TRY004 - pydantic reports ValueError only
        return cls.parse(value)


def _whole(value: object) -> int:
    """A whole, non-negative count of a unit, else the format rule."""
    number = Decimal(str(value))
    if number != number.to_integral_value() or number < 0:
        raise ValueError(FORMAT_RULE)
    return int(number)


def _whole_parts(duration: timedelta | isodate.Duration) -> tuple[int, int, int]:
    """Years, months and days of a parsed duration; a time part or a fraction is refused."""
    if isinstance(duration, isodate.Duration):
        years, months, rest = duration.years, duration.months, duration.tdelta
    else:
        years, months, rest = 0, 0, duration
    if rest.seconds or rest.microseconds:
        raise ValueError(FORMAT_RULE)
    return _whole(years), _whole(months), _whole(rest.days)


@cache
def _reference_starts() -> tuple[datetime, ...]:
    """The first and last day of every month over a whole leap-year cycle."""
    starts: list[datetime] = []
    for year in range(2024, 2028):
        for month in range(1, 13):
            first = datetime(year, month, 1, tzinfo=UTC)
            starts.append(first)
            starts.append(first + relativedelta(day=31))  # clamps to the month's last day
    return tuple(starts)
