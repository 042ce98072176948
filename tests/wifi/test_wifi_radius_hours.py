"""The opening window through ``radclient``: weekends, bank holidays, closing time and
both UK clock changes."""

from __future__ import annotations

from datetime import date

import pytest
from wifi_support import issue, radclient, uk

from klaremont.wifi import hours

MAC = "AA-BB-CC-DD-EE-01"


def login(radius, code):
    return radclient(
        radius.auth_port, {"User-Name": code, "User-Password": code, "Calling-Station-Id": MAC}
    )


def long_codes(platform):
    """A day-long guest validity, so the closing time is what limits a session."""
    wifi = platform.policy.wifi.model_copy(update={"guest_valid_hours": 24})
    platform.policy = platform.policy.model_copy(update={"wifi": wifi})


@pytest.mark.policy("IS-WIFI-HOURS")
def test_closing_time_refuses_at_half_past_six_exactly(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 8, 0))
    code = issue(platform)
    clock.set(uk(2026, 3, 4, 18, 29))
    assert login(radius, code).attributes["Session-Timeout"] == "60"
    clock.set(uk(2026, 3, 4, 18, 30))
    answer = login(radius, code)
    assert answer.code == "Access-Reject"
    assert answer.attributes["Reply-Message"] == (
        "The wireless network is closed. It is open Monday to Friday, 08:00 to 18:30 (UK time)."
    )


@pytest.mark.policy("IS-WIFI-HOURS")
def test_before_opening_on_saturday_and_on_a_bank_holiday_the_login_is_refused(
    platform, clock, radius
):
    clock.set(uk(2026, 3, 4, 9, 0))
    code = issue(platform)
    clock.set(uk(2026, 3, 5, 7, 59))  # Thursday before opening
    assert login(radius, code).code == "Access-Reject"
    clock.set(uk(2026, 3, 7, 12, 0))  # Saturday noon
    assert login(radius, code).code == "Access-Reject"
    wifi = platform.policy.wifi.model_copy(update={"closed_dates": [date(2026, 3, 6)]})
    platform.policy = platform.policy.model_copy(update={"wifi": wifi})
    clock.set(uk(2026, 3, 6, 12, 0))  # Friday, configured as a bank holiday
    assert login(radius, code).code == "Access-Reject"
    clock.set(uk(2026, 3, 5, 12, 0))  # Thursday noon: open
    assert login(radius, code).code == "Access-Accept"


@pytest.mark.policy("IS-WIFI-HOURS")
def test_the_spring_clock_change(platform, clock, radius):
    """Clocks go forward at 01:00 UTC on Sunday 29 March 2026 (GMT to BST)."""
    long_codes(platform)
    clock.set(uk(2026, 3, 27, 9, 0))
    code = issue(platform)
    clock.set(uk(2026, 3, 29, 12, 0))  # the Sunday of the change
    assert login(radius, code).code == "Access-Reject"
    clock.set(uk(2026, 3, 30, 7, 59))  # Monday 06:59 UTC: still shut in UK time
    assert login(radius, code).code == "Access-Reject"
    clock.set(uk(2026, 3, 30, 8, 0))  # Monday 07:00 UTC is 08:00 BST
    assert login(radius, code).attributes["Session-Timeout"] == str(10 * 3600 + 1800)
    clock.set(uk(2026, 3, 30, 17, 0))
    assert login(radius, code).attributes["Session-Timeout"] == "5400"


@pytest.mark.policy("IS-WIFI-HOURS")
def test_the_autumn_clock_change(platform, clock, radius):
    """Clocks go back at 01:00 UTC on Sunday 25 October 2026 (BST to GMT)."""
    long_codes(platform)
    clock.set(uk(2026, 10, 23, 9, 0))
    code = issue(platform)
    clock.set(uk(2026, 10, 25, 12, 0))  # the Sunday of the change
    assert login(radius, code).code == "Access-Reject"
    clock.set(uk(2026, 10, 26, 7, 30))  # Monday 07:30 GMT (08:30 if still BST)
    assert login(radius, code).code == "Access-Reject"
    clock.set(uk(2026, 10, 26, 17, 0))  # Monday 17:00 GMT = 17:00 UTC
    assert login(radius, code).attributes["Session-Timeout"] == "5400"


def test_the_window_in_words_and_the_closing_instants(platform):
    wifi = platform.policy.wifi
    assert hours.describe(wifi) == "Monday to Friday, 08:00 to 18:30 (UK time)"
    odd = wifi.model_copy(update={"days": ["mon", "wed"], "timezone": "Europe/Paris"})
    assert hours.describe(odd) == "Monday, Wednesday, 08:00 to 18:30 (Europe/Paris)"
    friday = hours.window(wifi, uk(2026, 3, 27, 12, 0)).closes_at
    monday = hours.window(wifi, uk(2026, 3, 30, 12, 0)).closes_at
    assert (friday, monday) == (uk(2026, 3, 27, 18, 30), uk(2026, 3, 30, 18, 30))
    assert [friday.hour, monday.hour] == [18, 17]  # in UTC: GMT, then BST
