"""A retention cutoff is never early: every start at or before it has run its period,
and it is at most three days late (month ends clamp), for any period and any moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klaremont.policy.period import Period

MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds and adds the zone
    max_value=datetime(2060, 12, 31),  # noqa: DTZ001 - as above
    timezones=st.just(UTC),
)


def _period(years: int, months: int, days: int) -> Period:
    return Period(years=years, months=months, days=days or (0 if years or months else 1))


@pytest.mark.policy("DP-RETAIN")
@given(
    years=st.integers(0, 10),
    months=st.integers(0, 30),
    days=st.integers(0, 400),
    now=MOMENTS,
    offset=st.integers(-(10**7), 10**7),
)
def test_the_cutoff_is_never_early_and_at_most_three_days_late(
    years: int, months: int, days: int, now: datetime, offset: int
) -> None:
    period = _period(years, months, days)
    cutoff = period.cutoff(now)
    start = cutoff + timedelta(seconds=offset)
    ended = period.add_to(start) <= now
    if start <= cutoff:
        assert ended
    if start > cutoff + timedelta(days=3):
        assert not ended


def test_whole_years_and_months_are_exact() -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert Period(years=6).cutoff(now) == datetime(2020, 3, 2, 9, 30, tzinfo=UTC)
    assert Period(days=30).cutoff(now) == datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
