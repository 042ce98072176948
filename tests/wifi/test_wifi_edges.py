"""Edges of the wireless services: access point rules, accounting-on/off, settings, demo."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from wifi_support import SECRET, radclient, uk

from klaremont.demo.service import DemoSize, seed
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.wifi import service_ap
from klaremont.wifi.models import AccessPoint, GuestCode, StaffDevice, WifiSession
from klaremont.wifi.settings import WifiSettings


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"network": "not-a-network"}, "network"),
        ({"secret": "short"}, "secret"),
    ],
)
def test_an_access_point_needs_a_name_a_range_and_a_long_secret(platform, kwargs, field):
    values = {"name": "till", "network": "10.1.0.0/24", "secret": SECRET, "by": "test"}
    with platform.unit_of_work() as uow, pytest.raises(ValidationFailed) as caught:
        service_ap.add(uow, **{**values, **kwargs})
    assert caught.value.problems[0].field == field


def test_access_points_are_unique_by_name_and_the_narrowest_range_answers(platform):
    with platform.unit_of_work() as uow:
        service_ap.add(uow, name="floor", network="10.0.0.0/8", secret=SECRET, by="t")
        service_ap.add(uow, name="till", network="10.1.2.3", secret=SECRET + "x", by="t")
        with pytest.raises(Conflict):
            service_ap.add(uow, name="till", network="10.9.0.0/16", secret=SECRET, by="t")
        table = service_ap.clients(uow)
    assert service_ap.client_for(table, "10.1.2.3").name == "till"
    assert service_ap.client_for(table, "10.200.0.1").name == "floor"
    assert service_ap.client_for(table, "192.168.0.1") is None
    assert service_ap.client_for(table, "nonsense") is None
    with platform.unit_of_work() as uow:
        service_ap.remove(uow, name="till", by="t")
        with pytest.raises(NotFound):
            service_ap.remove(uow, name="till", by="t")
        assert [p.name for p in service_ap.listed(uow)] == ["floor"]


def test_accounting_on_closes_the_access_points_sessions(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    for session in ("A-1", "A-2"):
        radclient(
            radius.acct_port,
            {"Acct-Status-Type": "Start", "Acct-Session-Id": session},
            kind="acct",
        )
    interim_first = radclient(
        radius.acct_port,
        {"Acct-Status-Type": "Interim-Update", "Acct-Session-Id": "A-3"},
        kind="acct",
    )
    assert interim_first.code == "Accounting-Response"  # a lost start: opened from the update
    radclient(radius.acct_port, {"Acct-Status-Type": "Accounting-On"}, kind="acct")
    with platform.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(WifiSession)))
    assert len(rows) == 3
    assert {r.stop_cause for r in rows} == {"NAS-Reboot"}


def test_vlan_settings_are_checked():
    with pytest.raises(ValidationError):
        WifiSettings(guest_vlan="5000")
    with pytest.raises(ValidationError):
        WifiSettings(staff_vlan="ten")
    assert WifiSettings(radius_port=1812).accounting_port == 1813


def test_the_demo_has_an_access_point_codes_and_devices(platform):
    seed(platform, DemoSize(customers=2))
    with platform.unit_of_work() as uow:
        assert [p.name for p in uow.session.scalars(select(AccessPoint))] == [
            "Shop floor controller"
        ]
        assert len(list(uow.session.scalars(select(GuestCode)))) == 3
        assert len(list(uow.session.scalars(select(StaffDevice)))) == 2
