"""The statutory clock: one calendar month from receipt, paused while identity is checked,
extendable by two months (UK GDPR Art. 12(3); DP-PROMPT)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klaremont.clock import uk_date
from klaremont.policy.loader import load_policy
from klaremont.rights import deadlines
from klaremont.rights.deadlines import Pause, add_months, compute, paused_days

ONE_DAY = timedelta(days=1)
FIRST = date(2024, 1, 1)
LAST = date(2030, 12, 31)


def reference_add_months(start: date, months: int) -> date:
    """An independent reference: walk the calendar a day at a time, never using month lengths."""
    if months == 0:
        return start
    target = start.year * 12 + start.month - 1 + months
    cursor = start
    while cursor.year * 12 + cursor.month - 1 < target:
        cursor += ONE_DAY  # ends on the 1st of the target month
    last = cursor
    while (last + ONE_DAY).month == cursor.month:
        last += ONE_DAY
    return cursor.replace(day=min(start.day, last.day))


def reference_due(received: date, paused: int, extension: int) -> date:
    """The rule as the ICO words it, from the reference month walk."""
    return reference_add_months(received, 1 + extension) + timedelta(days=paused)


def every_day() -> list[date]:
    """Every day of 2024 to 2030."""
    days = []
    cursor = FIRST
    while cursor <= LAST:
        days.append(cursor)
        cursor += ONE_DAY
    return days


@pytest.mark.policy("DP-PROMPT")
def test_every_day_2024_to_2030_matches_the_reference_with_pauses_and_extensions():
    """Every day of 2024-2030, with pauses and extensions: the calculator equals the reference."""
    checked = 0
    for received in every_day():
        for paused in (0, 1, 3, 17, 45):
            for extension in (0, 1, 2):
                deadline = compute(received, paused=paused, extension_months=extension)
                assert deadline.due == reference_due(received, paused, extension), received
                assert deadline.original_due == reference_due(received, paused, 0)
                assert deadline.extension_notice_by == deadline.original_due
                checked += 1
    assert checked == 2557 * 5 * 3  # 2024 and 2028 are leap years: 7 * 365 + 2 days


@pytest.mark.policy("DP-PROMPT")
@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2024, 9, 3), date(2024, 10, 3)),  # the ICO's own example
        (date(2024, 1, 31), date(2024, 2, 29)),  # leap year: the month's last day
        (date(2025, 1, 31), date(2025, 2, 28)),
        (date(2024, 1, 30), date(2024, 2, 29)),
        (date(2024, 1, 29), date(2024, 2, 29)),
        (date(2025, 1, 29), date(2025, 2, 28)),
        (date(2024, 2, 29), date(2024, 3, 29)),
        (date(2024, 3, 31), date(2024, 4, 30)),
        (date(2029, 12, 31), date(2030, 1, 31)),
        (date(2030, 12, 31), date(2031, 1, 31)),
    ],
)
def test_month_ends_and_leap_years(received, due):
    """A missing corresponding day falls to the last day of the month; leap days count."""
    assert compute(received).due == due


@pytest.mark.policy("DP-PROMPT")
def test_extension_counts_from_receipt_not_from_a_clamped_date():
    """31 January extended by two months is due 30 April (not 29 April via 29 February)."""
    assert compute(date(2024, 1, 31), extension_months=2).due == date(2024, 4, 30)
    assert compute(date(2024, 1, 31), extension_months=1).due == date(2024, 3, 31)


@pytest.mark.policy("DP-PROMPT")
def test_extension_beyond_the_policy_maximum_is_refused():
    """No more than two further months."""
    with pytest.raises(ValueError, match="0 to 2 months"):
        compute(date(2024, 5, 1), extension_months=3)


@pytest.mark.policy("DP-PROMPT")
@given(
    received=st.dates(min_value=FIRST, max_value=LAST),
    paused=st.integers(min_value=0, max_value=120),
    extension=st.integers(min_value=0, max_value=2),
)
def test_properties_of_the_deadline(received, paused, extension):
    """Due 28-31 days after receipt plus pauses; each paused day moves it exactly one day."""
    plain = compute(received)
    assert 28 <= (plain.due - received).days <= 31
    assert plain.due.day == received.day or plain.due.day < received.day
    deadline = compute(received, paused=paused, extension_months=extension)
    assert deadline.due - compute(received, extension_months=extension).due == timedelta(
        days=paused
    )
    assert deadline.due >= deadline.original_due
    assert deadline.days_left(deadline.due) == 0
    assert not deadline.is_overdue(deadline.due)
    assert deadline.is_overdue(deadline.due + ONE_DAY)


@pytest.mark.policy("DP-PROMPT")
@given(
    a=st.dates(min_value=FIRST, max_value=LAST),
    b=st.dates(min_value=FIRST, max_value=LAST),
)
def test_a_later_request_is_never_due_earlier(a, b):
    """The deadline is monotonic in the day of receipt."""
    first, second = sorted((a, b))
    assert compute(first).due <= compute(second).due


@pytest.mark.policy("DP-PROMPT")
@given(
    spans=st.lists(
        st.tuples(
            st.dates(min_value=FIRST, max_value=LAST),
            st.integers(min_value=0, max_value=40),
        ),
        max_size=6,
    )
)
def test_paused_days_count_overlapping_pauses_once(spans):
    """Total paused days equal the number of distinct days inside any pause."""
    pauses = [Pause(start, start + timedelta(days=length)) for start, length in spans]
    covered: set[date] = set()
    for start, length in spans:
        covered.update(start + timedelta(days=i) for i in range(length))
    assert paused_days(pauses, LAST) == len(covered)


@pytest.mark.policy("DP-PROMPT")
def test_an_open_pause_counts_up_to_today():
    """While identity is still pending, the pause grows day by day."""
    pause = Pause(date(2026, 3, 2))
    assert pause.days(date(2026, 3, 2)) == 0
    assert pause.days(date(2026, 3, 9)) == 7


@pytest.mark.policy("DP-PROMPT")
def test_receipt_is_the_uk_calendar_day():
    """23:30 UTC in summer is already the next day in the UK; in winter it is the same day."""
    assert uk_date(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == date(2026, 7, 2)
    assert uk_date(datetime(2026, 1, 1, 23, 30, tzinfo=UTC)) == date(2026, 1, 1)
    with pytest.raises(ValueError, match="naive"):
        uk_date(datetime(2026, 1, 1, 23, 30))  # noqa: DTZ001 - the point of the test


@pytest.mark.policy("DP-PROMPT")
def test_policy_numbers_drive_the_calculator():
    """The shipped policy: one month, two months' extension, identity pauses the clock."""
    dsr = load_policy(None).dsr
    deadline = deadlines.for_policy(dsr, date(2024, 1, 31), paused=2, extension_months=2)
    assert deadline.due == date(2024, 5, 2)
    assert add_months(date(2024, 1, 31), 1) == reference_add_months(date(2024, 1, 31), 1)
