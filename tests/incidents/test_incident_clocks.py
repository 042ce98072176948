"""The ICO's 72 hours are real hours, across both UK clock changes, and pages show the
deadline as UK wall-clock time with GMT or BST."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from incidents_support import REPORT, make_people

from klaremont.clock import UK_TIME
from klaremont.incidents import clocks
from klaremont.incidents.states import Recipient
from klaremont.testing.staff import staff_client

HOURS = 72
_SHOWN = re.compile(r"(\w+day) (\d{1,2}) (\w+) (\d{4}), (\d\d):(\d\d) (GMT|BST)")


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month, 31, 1, 0, tzinfo=UTC)  # the change is at 01:00 UTC
    return day - timedelta(days=(day.weekday() + 1) % 7)


@st.composite
def near_a_clock_change(draw: st.DrawFn) -> datetime:
    """An instant within four days either side of a UK clock change (2000-2060)."""
    change = _last_sunday(draw(st.integers(2000, 2060)), draw(st.sampled_from([3, 10])))
    return change + timedelta(seconds=draw(st.integers(-4 * 86400, 4 * 86400)))


# hypothesis takes naive bounds and attaches the zone itself
FIRST = datetime(2000, 1, 1, tzinfo=UTC).replace(tzinfo=None)
LAST = datetime(2060, 12, 31, tzinfo=UTC).replace(tzinfo=None)
anywhen = st.datetimes(min_value=FIRST, max_value=LAST, timezones=st.just(UTC))


def _from_shown(text: str) -> datetime:
    """Read back what a page shows (``Monday 30 March 2026, 11:00 BST``) as UTC."""
    found = _SHOWN.fullmatch(text)
    assert found is not None, text
    weekday, day, month, year, hour, minute, zone = found.groups()
    shown = f"{day} {month} {year} {hour}:{minute}"
    local = datetime.strptime(shown, "%d %B %Y %H:%M")  # noqa: DTZ007 - wall clock; zone below
    offset = timedelta(hours=1 if zone == "BST" else 0)
    instant = (local - offset).replace(tzinfo=UTC)
    assert instant.astimezone(UK_TIME).strftime("%A") == weekday
    return instant


@pytest.mark.policy("SP-IRP-NOTIFY")
@given(aware=st.one_of(near_a_clock_change(), anywhen))
def test_the_ico_deadline_is_exactly_72_real_hours_after_awareness(aware):
    due = clocks.ico_deadline(aware, HOURS)
    assert due - aware == timedelta(hours=HOURS)
    # in whole seconds of real (UTC) time: float timestamps lose microseconds past 2038
    assert due.astimezone(UTC) - aware.astimezone(UTC) == timedelta(seconds=HOURS * 3600)
    assert clocks.due_at(Recipient.ICO, aware, HOURS) == due
    # On the UK wall clock it reads 71 or 73 hours when a change falls in between.
    wall = due.astimezone(UK_TIME).replace(tzinfo=None) - aware.astimezone(UK_TIME).replace(
        tzinfo=None
    )
    shift = aware.astimezone(UK_TIME).utcoffset() - due.astimezone(UK_TIME).utcoffset()
    assert wall == timedelta(hours=HOURS) - shift
    # A page shows the deadline so that it reads back as the same instant (to the minute).
    assert _from_shown(clocks.uk_when(due)) == due.replace(second=0, microsecond=0)


@pytest.mark.policy("SP-IRP-NOTIFY")
@given(aware=near_a_clock_change())
def test_warnings_come_before_the_deadline_in_order(aware):
    due = clocks.ico_deadline(aware, HOURS)
    stages = clocks.stages(aware, due)
    assert [s.name for s in stages] == ["24h", "6h", "missed"]
    assert [due - s.at for s in stages] == [timedelta(hours=24), timedelta(hours=6), timedelta(0)]
    assert clocks.reached(aware, due, due - timedelta(hours=6, seconds=1)).name == "24h"
    assert clocks.reached(aware, due, due).name == "missed"


@pytest.mark.policy("SP-IRP-NOTIFY")
@pytest.mark.parametrize(
    ("reported", "shown"),
    [
        # Friday before the spring change (GMT) -> Monday after it (BST): 71 wall-clock hours
        (datetime(2026, 3, 27, 10, 0, tzinfo=UTC), "Monday 30 March 2026, 11:00 BST"),
        # Friday before the autumn change (BST) -> Monday after it (GMT): 73 wall-clock hours
        (datetime(2026, 10, 23, 12, 0, tzinfo=UTC), "Monday 26 October 2026, 12:00 GMT"),
    ],
)
def test_the_case_page_shows_the_deadline_in_uk_time(platform, clock, reported, shown):
    clock.set(reported)  # before the accounts exist, so no password has expired
    make_people(platform)
    with staff_client(platform, "sue") as sue, staff_client(platform, "ivy") as iso:
        reference = sue.post("/api/incidents", json=REPORT).json()["reference"]
        page = iso.get(f"/staff/incidents/{reference}", headers={"Accept": "text/html"})
        register = iso.get("/staff/incidents")
    assert page.status_code == 200
    assert shown in page.text
    assert "due in 3 days" in page.text
    # the register shows the soonest undecided deadline: card data may be involved (24 hours)
    assert "Payment service provider and card brands: due in 1 day" in register.text


def test_typed_uk_times_are_read_as_uk_wall_clock_time():
    assert clocks.from_uk_local("2026-07-01T09:30") == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert clocks.from_uk_local("2026-12-01 09:30") == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    # the hour that happens twice: the first (BST) is taken
    assert clocks.from_uk_local("2026-10-25T01:30") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="did not exist in the UK"):
        clocks.from_uk_local("2026-03-29T01:30")
    with pytest.raises(ValueError, match="date and time"):
        clocks.from_uk_local("yesterday")


def test_durations_read_as_words():
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert (
        clocks.left_words(now, now + timedelta(hours=5, minutes=20)) == "due in 5 hours 20 minutes"
    )
    assert clocks.left_words(now, now - timedelta(days=1, hours=3)) == "overdue by 1 day 3 hours"
    assert clocks.left_words(now, now + timedelta(seconds=20)) == "due in less than a minute"
