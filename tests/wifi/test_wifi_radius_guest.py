"""Guest logins through the real ``radclient``: accept, refuse, the timeout and the VLAN."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from wifi_support import SECRET, issue, radclient, uk

from klaremont.wifi import service_guest
from klaremont.wifi.authorize import REFUSED_CODE
from klaremont.wifi.models import GuestCode, WifiLogin

MAC = "AA-BB-CC-DD-EE-01"


def login(radius, code, mac=MAC, **kwargs):
    return radclient(
        radius.auth_port,
        {"User-Name": code, "User-Password": code, "Calling-Station-Id": mac},
        **kwargs,
    )


@pytest.mark.policy("IS-WIFI-GUEST")
@pytest.mark.policy("IS-WIFI-HOURS")
@pytest.mark.policy("IS-WIFI-ISOLATE")
def test_a_guest_code_is_accepted_at_five_with_ninety_minutes_on_the_guest_vlan(
    platform, clock, radius
):
    clock.set(uk(2026, 3, 4, 17, 0))  # a Wednesday
    code = issue(platform)
    answer = login(radius, code)
    assert answer.code == "Access-Accept", answer.output
    assert answer.attributes["Session-Timeout"] == "5400"
    assert answer.attributes["Tunnel-Type:0"] == "VLAN"
    assert answer.attributes["Tunnel-Medium-Type:0"] == "IEEE-802"
    assert answer.attributes["Tunnel-Private-Group-Id:0"] == "30"
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(select(WifiLogin)).one()
        assert (row.accepted, row.reason, row.mac) == (True, "accepted", "aa:bb:cc:dd:ee:01")
        assert row.access_point == "shop-floor"
        assert row.session_timeout == 5400


@pytest.mark.policy("IS-WIFI-GUEST")
def test_the_code_is_typed_any_way_and_stored_only_as_a_digest(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    code = issue(platform)
    typed = code.replace("-", " ").lower()
    assert login(radius, typed).code == "Access-Accept"
    with platform.unit_of_work() as uow:
        stored = uow.session.scalars(select(GuestCode)).one()
        plain = code.replace("-", "")
        assert plain not in stored.code_digest
        assert stored.hint == plain[-3:]
        assert len(stored.code_digest) == 64


@pytest.mark.policy("IS-WIFI-GUEST")
def test_refusals_say_the_same_whether_or_not_the_code_exists(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    unknown = login(radius, "ABCDE-FGHJK")
    revoked_code = issue(platform)
    with platform.unit_of_work() as uow:
        service_guest.revoke(uow, by="test", code=revoked_code)
    revoked = login(radius, revoked_code)
    taken = issue(platform)
    assert login(radius, taken).code == "Access-Accept"
    second_device = login(radius, taken, mac="AA-BB-CC-DD-EE-02")
    for answer in (unknown, revoked, second_device):
        assert answer.code == "Access-Reject"
        assert answer.attributes["Reply-Message"] == REFUSED_CODE
    with platform.unit_of_work() as uow:
        reasons = [r.reason for r in uow.session.scalars(select(WifiLogin).order_by(WifiLogin.at))]
    assert sorted(reasons) == sorted(["unknown_code", "revoked", "accepted", "device_limit"])


@pytest.mark.policy("IS-WIFI-GUEST")
def test_a_code_works_for_its_period_from_first_use_and_never_after_its_expiry(
    platform, clock, radius
):
    clock.set(uk(2026, 3, 2, 9, 0))  # Monday
    code = issue(platform)  # 8 hours from first use, 7 days at most
    first = login(radius, code)
    assert first.attributes["Session-Timeout"] == str(8 * 3600)
    clock.set(uk(2026, 3, 2, 16, 0))
    assert login(radius, code).attributes["Session-Timeout"] == "3600"  # same device again
    clock.set(uk(2026, 3, 2, 17, 0))
    assert login(radius, code).code == "Access-Reject"  # 8 hours after its first use

    clock.set(uk(2026, 3, 2, 9, 0))
    unused = issue(platform)
    clock.set(uk(2026, 3, 9, 9, 0))  # a week later: past the absolute expiry, never used
    assert login(radius, unused).code == "Access-Reject"
    clock.set(uk(2026, 3, 9, 8, 30))  # half an hour before it: works, until expiry
    assert login(radius, unused).attributes["Session-Timeout"] == "1800"


@pytest.mark.policy("IS-WIFI-GUEST")
def test_a_two_device_code_admits_two_devices_and_no_third(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    platform.policy = platform.policy.model_copy(
        update={"wifi": platform.policy.wifi.model_copy(update={"guest_max_devices": 2})}
    )
    code = issue(platform, max_devices=2)
    assert login(radius, code, mac="aa:bb:cc:00:00:01").code == "Access-Accept"
    assert login(radius, code, mac="AABBCC000002").code == "Access-Accept"
    assert login(radius, code, mac="aabb.cc00.0003").code == "Access-Reject"
    assert login(radius, code, mac="AA-BB-CC-00-00-01").code == "Access-Accept"


@pytest.mark.policy("IS-WIFI-ISOLATE")
def test_a_staff_password_is_not_a_guest_credential(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    answer = radclient(
        radius.auth_port,
        {
            "User-Name": "ivan",
            "User-Password": "violet-harbour-quietly-9-ferns",
            "Calling-Station-Id": MAC,
        },
    )
    assert answer.code == "Access-Reject"
    assert answer.attributes["Reply-Message"] == REFUSED_CODE


def test_the_shared_secret_is_sealed(platform):
    from wifi_support import add_loopback_ap  # noqa: PLC0415

    add_loopback_ap(platform)
    with platform.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT secret FROM wifi_access_points").scalar_one()
    assert SECRET.encode() not in bytes(raw)


@pytest.mark.policy("IS-WIFI-GUEST")
def test_a_returning_device_is_answered_fast_and_a_revocation_is_seen_at_once(
    platform, clock, radius
):
    clock.set(uk(2026, 3, 4, 10, 0))
    code = issue(platform)
    assert login(radius, code).code == "Access-Accept"  # first use: the full path
    for _ in range(3):
        assert login(radius, code).attributes["Session-Timeout"] == str(8 * 3600)
    with platform.unit_of_work() as uow:
        service_guest.revoke(uow, by="test", code=code)
    refused = login(radius, code)
    assert refused.code == "Access-Reject"
    radius.server.fast.writer.close()  # what the server does when it stops
    assert radius.server.fast.writer.written == 3
    with platform.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(WifiLogin).order_by(WifiLogin.at)))
    assert sorted(r.reason for r in rows) == ["accepted"] * 4 + ["revoked"]
