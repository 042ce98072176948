"""Closing time's Disconnect-Requests, the records' retention and the live checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from wifi_support import FakeNas, add_loopback_ap, issue, radclient, uk

from klaremont.policy.live import StaticContext
from klaremont.retention import engine as retention
from klaremont.wifi import checks, closing, purge
from klaremont.wifi.models import GuestCode, GuestDevice, WifiLogin, WifiSession


def start(radius, session, mac="AA-BB-CC-DD-EE-01"):
    answer = radclient(
        radius.acct_port,
        {"Acct-Status-Type": "Start", "Acct-Session-Id": session, "Calling-Station-Id": mac},
        kind="acct",
    )
    assert answer.code == "Accounting-Response"


@pytest.mark.policy("IS-WIFI-HOURS")
def test_at_closing_open_sessions_are_sent_a_disconnect_and_the_answers_kept(
    platform, clock, radius, monkeypatch
):
    clock.set(uk(2026, 3, 4, 17, 0))
    start(radius, "S-1")
    start(radius, "S-2", mac="AA-BB-CC-DD-EE-02")
    radclient(
        radius.acct_port,
        {"Acct-Status-Type": "Stop", "Acct-Session-Id": "S-2"},
        kind="acct",
    )
    with FakeNas() as nas:
        monkeypatch.setenv("KLAREMONT_WIFI_COA_PORT", str(nas.port))
        clock.set(uk(2026, 3, 4, 18, 29))
        assert closing.run(platform) == "wireless closing: nothing to disconnect"
        clock.set(uk(2026, 3, 4, 18, 31))
        assert closing.run(platform) == "wireless closing: Disconnect-Requests sent (1 ack)"
        assert closing.run(platform) == "wireless closing: nothing to disconnect"  # once
    assert [r["Acct-Session-Id"] for r in nas.received] == ["S-1"]
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(
            select(WifiSession).where(WifiSession.acct_session_id == "S-1")
        ).one()
        assert (row.disconnect_answer, row.disconnect_sent_at) == ("ack", uk(2026, 3, 4, 18, 31))


def test_an_access_point_that_does_not_answer_is_tried_again(platform, clock, radius, monkeypatch):
    clock.set(uk(2026, 3, 4, 17, 0))
    start(radius, "S-9")
    with FakeNas() as nas:  # bound, then closed: nothing listens on its port
        port = nas.port
    monkeypatch.setenv("KLAREMONT_WIFI_COA_PORT", str(port))
    clock.set(uk(2026, 3, 4, 19, 0))
    assert closing.run(platform) == "wireless closing: Disconnect-Requests sent (1 no answer)"
    with FakeNas() as again:
        monkeypatch.setenv("KLAREMONT_WIFI_COA_PORT", str(again.port))
        assert "1 ack" in closing.run(platform)


def test_records_past_their_retention_are_purged(platform, clock):
    add_loopback_ap(platform)
    clock.set(uk(2026, 3, 2, 9, 0))
    issue(platform)
    with platform.unit_of_work() as uow:
        code = uow.session.scalars(select(GuestCode)).one()
        uow.session.add(
            GuestDevice(code_id=code.id, slot=1, mac="aa:bb:cc:dd:ee:01", first_seen_at=clock.now())
        )
        uow.session.add(
            WifiLogin(
                at=clock.now(), kind="guest", accepted=True, reason="accepted", access_point="x"
            )
        )
    clock.advance(timedelta(days=30))
    assert purge.run(platform) == "wireless records purged: 0 logins, 0 sessions, 0 staff_devices"
    assert retention.run(platform).total_done == 0
    clock.advance(timedelta(days=61))  # 91 days: the logins' 90 and the codes' expiry + 30 d
    assert purge.run(platform) == "wireless records purged: 1 logins, 0 sessions, 0 staff_devices"
    assert retention.run(platform).plans_by_target()["wifi.guest_codes"].done == 1
    with platform.unit_of_work() as uow:
        assert uow.session.scalars(select(GuestDevice)).first() is None


@pytest.mark.policy("IS-WIFI-GUEST")
@pytest.mark.policy("IS-WIFI-HOURS")
@pytest.mark.policy("IS-WIFI-ISOLATE")
@pytest.mark.policy("IS-WIFI-STAFF")
def test_the_live_checks_hold_and_can_fail(platform, clock, radius, monkeypatch):
    clock.set(uk(2026, 3, 4, 17, 0))
    code = issue(platform)
    radclient(
        radius.auth_port,
        {"User-Name": code, "User-Password": code, "Calling-Station-Id": "AA-BB-CC-DD-EE-01"},
    )
    found = [
        checks.guest_codes_are_time_limited(platform),
        checks.staff_devices_are_approved_by_someone_else(platform),
        checks.wireless_is_kept_apart(platform),
        checks.no_login_outside_the_window(platform),
    ]
    assert all(r.holds for r in found), found
    static = StaticContext(platform.settings, platform.policy, platform.clock)
    assert checks.no_login_outside_the_window(static).detail == checks.NO_DATABASE
    with platform.unit_of_work() as uow:
        uow.session.add(
            WifiLogin(
                at=uk(2026, 3, 7, 12, 0),
                kind="guest",
                accepted=True,
                reason="accepted",
                access_point="x",
                session_timeout=60,
            )
        )
        row = uow.session.scalars(select(GuestCode)).one()
        row.expires_at = row.issued_at + timedelta(days=365)  # a past expiry made a year
    assert not checks.no_login_outside_the_window(platform).holds
    assert not checks.guest_codes_are_time_limited(platform).holds
    monkeypatch.setenv("KLAREMONT_WIFI_STAFF_VLAN", "30")
    assert not checks.wireless_is_kept_apart(platform).holds
