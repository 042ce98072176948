"""Dates and moments people type, checked as they will be stored.

Every date a person or a script gives us (a date of birth, when a laptop was bought, when a
contract ends, when an incident was noticed) is a real day: between 1900 and 2199. A year
1 date parsed well and was stored, shown as "Monday 1 January 1, 00:00 LMT"; a moment at
the end of year 9999 with a negative offset overflowed when turned into UTC (a 500). A
moment needs its offset: a naive one was refused by the database layer as a 500. The
services call :func:`day` and :func:`moment` (and the ``past_`` forms) on every date they
store; the API's schemas use :data:`Day` and :data:`Moment`, so a script hears the rule
with the field's name before the service is reached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Final, TypeVar

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from klaremont.errors import ValidationFailed

EARLIEST: Final = date(1900, 1, 1)
LATEST: Final = date(2199, 12, 31)
SPAN: Final = "must be a date between 1900 and 2199"
NEEDS_OFFSET: Final = "needs its time zone offset (such as Z or +01:00)"
FUTURE: Final = "must not be in the future"


def span_problem(value: date | datetime) -> str | None:
    """The rule ``value`` breaks (a naive moment, a year outside the span), else ``None``."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return NEEDS_OFFSET
        if not EARLIEST <= value.date() <= LATEST:  # before converting: 9999 may overflow
            return SPAN
        return None
    return SPAN if not EARLIEST <= value <= LATEST else None


def day(field: str, value: date) -> date:
    """``value`` when it is a real day (1900-2199), else :class:`ValidationFailed` naming
    ``field``."""
    problem = span_problem(value)
    if problem is not None:
        raise ValidationFailed.single(field, problem)
    return value


def moment(field: str, value: datetime) -> datetime:
    """``value`` in UTC when it has an offset and falls in 1900-2199, else
    :class:`ValidationFailed` naming ``field``."""
    problem = span_problem(value)
    if problem is not None:
        raise ValidationFailed.single(field, problem)
    return value.astimezone(UTC)


def past_day(field: str, value: date, today: date) -> date:
    """:func:`day`, and not after ``today``."""
    if day(field, value) > today:
        raise ValidationFailed.single(field, FUTURE)
    return value


def past_moment(field: str, value: datetime, now: datetime) -> datetime:
    """:func:`moment`, and not after ``now``."""
    kept = moment(field, value)
    if kept > now:
        raise ValidationFailed.single(field, FUTURE)
    return kept


_When = TypeVar("_When", date, datetime)


def check_input(value: _When) -> _When:
    """The API schemas' check: the rule of :func:`span_problem` as a validation error."""
    problem = span_problem(value)
    if problem is not None:
        raise PydanticCustomError("implausible_date", problem)
    return value


#: a date in an API body or query: 1900-2199
Day = Annotated[date, AfterValidator(check_input)]
#: a moment in an API body or query: with its offset, 1900-2199
Moment = Annotated[datetime, AfterValidator(check_input)]
