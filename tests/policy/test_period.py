"""Policy periods: parsing, and calendar-correct arithmetic with month-end clamping."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klaremont.clock import UK_TIME
from klaremont.policy.period import Period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6y", Period(years=6)),
        ("24m", Period(months=24)),
        ("30d", Period(days=30)),
        ("1y6m", Period(years=1, months=6)),
        ("1y2m3d", Period(years=1, months=2, days=3)),
        ("P6Y", Period(years=6)),
        ("P1Y6M", Period(years=1, months=6)),
        ("P30D", Period(days=30)),
        (" 12m ", Period(months=12)),
    ],
)
def test_period_parses(text, expected):
    """Short and ISO 8601 forms read as the same period."""
    assert Period.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        *("", "6", "y", "6 years", "6Y", "-1y", "1.5y", "6y6y", "3d2m", "P", "PT6H", "0y0m"),
        *("P0.5Y", "P1DT1H", "-P1Y", "P1Y6", "1y 6m", "P1M-2D"),
    ],
)
def test_bad_period_text_is_refused(text):
    """Anything that is not a whole number of years, months and days is refused."""
    with pytest.raises(ValueError, match="must"):
        Period.parse(text)


def test_period_prints_in_short_form():
    """A period prints the way the policy file writes it."""
    assert str(Period.parse("P1Y6M")) == "1y6m"
    assert str(Period(days=30)) == "30d"


@pytest.mark.parametrize(
    ("period", "iso"),
    [(Period(years=6), "P6Y"), (Period(years=1, months=6), "P1Y6M"), (Period(days=30), "P30D")],
)
def test_period_formats_and_reads_back_as_iso_8601(period, iso):
    """The ISO 8601 form is what isodate writes, and reads back as the same period."""
    assert period.isoformat() == iso
    assert Period.parse(iso) == period


def test_iso_weeks_are_days():
    """An ISO 8601 week count is seven days each."""
    assert Period.parse("P2W") == Period(days=14)


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (datetime(2025, 1, 31, tzinfo=UTC), "1m", datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 1, 31, tzinfo=UTC), "1m", datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), "1y", datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), "4y", datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), "1m", datetime(2025, 4, 30, tzinfo=UTC)),
        (datetime(2025, 12, 15, tzinfo=UTC), "1m", datetime(2026, 1, 15, tzinfo=UTC)),
        (datetime(2025, 11, 30, tzinfo=UTC), "3m", datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2025, 1, 31, tzinfo=UTC), "1m1d", datetime(2025, 3, 1, tzinfo=UTC)),
        (datetime(2020, 6, 1, 12, 5, tzinfo=UTC), "6y", datetime(2026, 6, 1, 12, 5, tzinfo=UTC)),
        (datetime(2025, 12, 31, tzinfo=UTC), "30d", datetime(2026, 1, 30, tzinfo=UTC)),
    ],
)
def test_add_to_is_calendar_arithmetic(start, period, expected):
    """Months move on the calendar and clamp to the month's last day; days are added after."""
    assert Period.parse(period).add_to(start) == expected


def test_add_to_keeps_the_time_zone():
    """Adding a period to UK local time keeps the wall-clock time and the zone."""
    start = datetime(2025, 3, 29, 9, 0, tzinfo=UK_TIME)
    moved = Period(days=2).add_to(start)
    assert (moved.hour, moved.tzinfo) == (9, UK_TIME)


def test_add_to_past_year_9999_raises_overflow():
    """Overflow is reported, not wrapped around."""
    with pytest.raises(OverflowError):
        Period(years=10).add_to(datetime(9995, 1, 1, tzinfo=UTC))


def test_at_least_compares_over_every_start_day():
    """``at_least`` holds only when a period never ends before the other."""
    assert Period(years=6).at_least(Period(months=72))
    assert Period(months=72).at_least(Period(years=6))
    assert Period(years=7).at_least(Period(years=6))
    assert not Period(years=5).at_least(Period(years=6))
    assert not Period(months=1).at_least(Period(days=31))
    assert Period(days=31).at_least(Period(months=1))


def test_period_refuses_zero_and_huge_values():
    """A period is longer than zero and at most a hundred years."""
    with pytest.raises(ValueError, match="longer than zero"):
        Period()
    with pytest.raises(ValueError, match="at most 100 years"):
        Period(months=1201)
    with pytest.raises(ValueError, match="negative"):
        Period(days=-1)


_starts = st.datetimes(
    min_value=datetime(1900, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime(2200, 12, 31),  # noqa: DTZ001 - hypothesis takes naive bounds
    timezones=st.sampled_from([UTC, UK_TIME, timezone(timedelta(hours=-5))]),
)
_periods = (
    st.tuples(st.integers(0, 100), st.integers(0, 1200), st.integers(0, 36_600))
    .filter(any)
    .map(lambda parts: Period(*parts))
)


@given(start=_starts, period=_periods)
def test_add_to_never_raises_and_clamps_to_month_end(start, period):
    """For any start and period, add_to succeeds and lands on the clamped day of the month."""
    moved = period.add_to(start)
    months = start.month - 1 + period.years * 12 + period.months
    year = start.year + months // 12
    month = months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    assert moved - timedelta(days=period.days) == start.replace(year=year, month=month, day=day)
    assert moved.tzinfo is start.tzinfo
    assert moved >= start


@given(start=_starts, months=st.integers(1, 24))
def test_month_end_start_stays_within_its_target_month(start, months):
    """Adding whole months to a day never spills into the following month."""
    moved = Period(months=months).add_to(start)
    expected_month = (start.month - 1 + months) % 12 + 1
    assert moved.month == expected_month
    assert moved.day <= start.day
