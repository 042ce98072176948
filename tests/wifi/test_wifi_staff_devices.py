"""Staff devices: registered, approved by technical operations, let in by MAC address on
the staff VLAN, and ended at once with the account (with a Disconnect for live sessions)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from wifi_support import FakeNas, radclient, uk

from klaremont.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from klaremont.staff import service_lifecycle
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff
from klaremont.wifi import service_devices
from klaremont.wifi.models import DeviceStatus, StaffDevice, WifiSession

MAC = "3c:22:fb:5e:10:01"


def account(platform, username):
    with platform.unit_of_work() as uow:
        return uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == username)
        ).one()


@pytest.fixture
def people(platform):
    make_staff(platform, "erin", Role.ENGINEER)
    make_staff(platform, "tara", Role.TECHNICAL_OPERATIONS)
    return account(platform, "erin"), account(platform, "tara")


def approved_device(platform, people, mac=MAC):
    erin, tara = people
    with platform.unit_of_work() as uow:
        row = service_devices.register(
            uow, account_id=erin.id, username="erin", mac=mac, label="Laptop"
        )
        service_devices.approve(uow, device_id=row.id, by="tara", by_account=tara.id)
    return row


def mac_login(radius, spelling):
    return radclient(
        radius.auth_port,
        {"User-Name": spelling, "User-Password": spelling, "Calling-Station-Id": spelling},
    )


@pytest.mark.policy("IS-WIFI-STAFF")
@pytest.mark.policy("IS-WIFI-ISOLATE")
def test_an_approved_device_is_let_in_by_its_mac_in_any_spelling_on_the_staff_vlan(
    platform, clock, radius, people
):
    clock.set(uk(2026, 3, 4, 17, 0))
    erin, _ = people
    with platform.unit_of_work() as uow:
        row = service_devices.register(
            uow, account_id=erin.id, username="erin", mac="3C-22-FB-5E-10-01", label="Laptop"
        )
    assert mac_login(radius, "3C-22-FB-5E-10-01").code == "Access-Reject"  # pending
    with platform.unit_of_work() as uow:
        service_devices.approve(uow, device_id=row.id, by="tara", by_account=people[1].id)
    for spelling in ("3C-22-FB-5E-10-01", "3c22fb5e1001", "3c22.fb5e.1001", "3C:22:FB:5E:10:01"):
        answer = mac_login(radius, spelling)
        assert answer.code == "Access-Accept", spelling
        assert answer.attributes["Tunnel-Private-Group-Id:0"] == "20"
        assert answer.attributes["Session-Timeout"] == "5400"
    clock.set(uk(2026, 3, 7, 12, 0))  # Saturday: staff devices keep the hours too
    assert mac_login(radius, MAC).code == "Access-Reject"


@pytest.mark.policy("IS-WIFI-STAFF")
def test_registration_rules(platform, people):
    erin, tara = people
    with platform.unit_of_work() as uow:
        with pytest.raises(ValidationFailed):
            service_devices.register(
                uow, account_id=erin.id, username="erin", mac="not-a-mac", label="x"
            )
        with pytest.raises(ValidationFailed):
            service_devices.register(uow, account_id=erin.id, username="erin", mac=MAC, label="")
        first = service_devices.register(
            uow, account_id=erin.id, username="erin", mac=MAC, label="Laptop"
        )
        with pytest.raises(Conflict):
            service_devices.register(
                uow, account_id=tara.id, username="tara", mac=MAC.upper(), label="Mine"
            )
        for n in (2, 3):
            service_devices.register(
                uow, account_id=erin.id, username="erin", mac=f"3c:22:fb:00:00:0{n}", label="x"
            )
        with pytest.raises(Conflict):  # the policy's three devices
            service_devices.register(
                uow, account_id=erin.id, username="erin", mac="3c:22:fb:00:00:04", label="x"
            )
        with pytest.raises(PermissionDenied):
            service_devices.approve(uow, device_id=first.id, by="erin", by_account=erin.id)
        service_devices.approve(uow, device_id=first.id, by="tara", by_account=tara.id)
        with pytest.raises(Conflict):
            service_devices.approve(uow, device_id=first.id, by="tara", by_account=tara.id)
        with pytest.raises(NotFound):  # not tara's own
            service_devices.remove(uow, device_id=first.id, by="tara", owner=tara.id)
        service_devices.remove(uow, device_id=first.id, by="erin", owner=erin.id)
        assert len(service_devices.mine(uow, erin.id)) == 2
        assert [r.status for r in service_devices.everyone(uow)] == [DeviceStatus.PENDING] * 2


def start_session(radius, clock, mac=MAC, session="S-0001"):
    answer = radclient(
        radius.acct_port,
        {
            "Acct-Status-Type": "Start",
            "Acct-Session-Id": session,
            "User-Name": mac,
            "Calling-Station-Id": mac,
        },
        kind="acct",
    )
    assert answer.code == "Accounting-Response"


@pytest.mark.policy("IS-WIFI-STAFF")
@pytest.mark.policy("IS-AC-LEAVER")
def test_a_leavers_device_is_refused_at_once_and_its_session_disconnected(
    platform, clock, radius, people, monkeypatch
):
    clock.set(uk(2026, 3, 4, 11, 0))
    approved_device(platform, people)
    assert mac_login(radius, MAC).code == "Access-Accept"
    start_session(radius, clock)
    with FakeNas() as nas:
        monkeypatch.setenv("KLAREMONT_WIFI_COA_PORT", str(nas.port))
        with platform.unit_of_work() as uow:
            report = service_lifecycle.offboard(uow, people[0].id, by="test")
    assert report.hooks["wifi:devices_of_leaver"] == "1 wireless device(s) removed"
    assert mac_login(radius, MAC).code == "Access-Reject"
    assert len(nas.received) == 1
    assert nas.received[0]["Acct-Session-Id"] == "S-0001"
    assert nas.received[0]["Calling-Station-Id"] == "3C-22-FB-5E-10-01"
    with platform.unit_of_work() as uow:
        session = uow.session.scalars(select(WifiSession)).one()
        assert session.disconnect_answer == "ack"
        device = uow.session.scalars(select(StaffDevice)).one()
        assert (device.status, device.removed_reason) == (DeviceStatus.REMOVED, "left")


@pytest.mark.policy("IS-WIFI-STAFF")
def test_disabling_an_account_ends_its_devices_too(platform, clock, radius, people, monkeypatch):
    clock.set(uk(2026, 3, 4, 11, 0))
    approved_device(platform, people)
    start_session(radius, clock)
    with FakeNas(answer="nak") as nas:
        monkeypatch.setenv("KLAREMONT_WIFI_COA_PORT", str(nas.port))
        with platform.unit_of_work() as uow:
            erin = uow.session.get(StaffAccount, people[0].id)
            assert service_lifecycle.disable_account(uow, erin, reason="inactive")
    assert mac_login(radius, MAC).code == "Access-Reject"
    with platform.unit_of_work() as uow:
        assert uow.session.scalars(select(WifiSession)).one().disconnect_answer == "nak"
        device = uow.session.scalars(select(StaffDevice)).one()
        assert device.removed_reason == "disabled:inactive"
