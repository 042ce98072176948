"""The console's wireless pages: guest codes with printable slips, staff devices."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client
from klaremont.wifi.codes import normalise_code
from klaremont.wifi.models import DeviceStatus, GuestCode, StaffDevice

SLIP_CODE = re.compile(r'<p class="code"><strong>([A-Z0-9-]+)</strong>')
HIDDEN = re.compile(r'name="(code_id|device_id)" value="([^"]+)"')


def form(client, page: str) -> dict[str, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert token
    return {"csrf_token": token.group(1)}


@pytest.mark.policy("IS-WIFI-GUEST")
def test_support_issues_a_batch_prints_the_slips_and_revokes_one(platform):
    make_staff(platform, "sam", Role.SUPPORT_AGENT)
    with staff_client(platform, "sam") as sam:
        page = sam.get("/staff/wifi")
        assert page.status_code == 200
        assert "Each code works for 8 hours from its first use" in page.text
        slips = sam.post("/staff/wifi/codes", data={**form(sam, "/staff/wifi"), "count": "3"})
        assert slips.status_code == 200
        codes = SLIP_CODE.findall(slips.text)
        assert len(codes) == 3
        assert all(normalise_code(c) for c in codes)
        assert slips.text.count("<svg") == 3
        assert "Klaremont Guest" in slips.text
        listed = sam.get("/staff/wifi").text
        assert not any(code in listed for code in codes)
        assert listed.count("not used yet") == 3
        code_id = HIDDEN.search(listed).group(2)
        done = sam.post(
            "/staff/wifi/codes/revoke",
            data={**form(sam, "/staff/wifi"), "code_id": code_id},
            follow_redirects=True,
        )
        assert "The code was revoked" in done.text
        assert done.text.count("not used yet") == 2
        for count, said in (
            ("500", "How many codes: must be at most 200"),
            ("0", "How many codes: must be at least 1"),
            ("", "How many codes: must be filled in"),  # once a code issued silently
            ("three", "How many codes: must be a whole number"),
        ):
            bad = sam.post(
                "/staff/wifi/codes",
                data={**form(sam, "/staff/wifi"), "count": count},
                headers={"Accept": "text/html"},
            )
            assert bad.status_code == 422, count
            assert said in bad.text, bad.text
            assert "Input should" not in bad.text
            assert "unable to parse" not in bad.text
    with platform.unit_of_work() as uow:
        assert len(list(uow.session.scalars(select(GuestCode)))) == 3


@pytest.mark.policy("IS-WIFI-STAFF")
def test_staff_register_their_devices_and_technical_operations_approve_them(platform):
    make_staff(platform, "erin", Role.ENGINEER)
    make_staff(platform, "tara", Role.TECHNICAL_OPERATIONS)
    with staff_client(platform, "erin") as erin:
        page = erin.get("/staff/wifi/devices")
        assert "private, randomised MAC address" in page.text
        assert erin.get("/staff/wifi").status_code == 403
        done = erin.post(
            "/staff/wifi/devices",
            data={
                **form(erin, "/staff/wifi/devices"),
                "mac": "DA-A1-19-6B-22-02",
                "label": "Phone",
            },
            follow_redirects=True,
        )
        assert "Technical operations will approve it" in done.text
        assert "da:a1:19:6b:22:02" in done.text
        assert "(a private address)" in done.text
        again = erin.post(
            "/staff/wifi/devices",
            data={**form(erin, "/staff/wifi/devices"), "mac": "nonsense", "label": "Phone"},
        )
        assert again.status_code == 422
        assert "Device address (MAC): must be a MAC address" in again.text
    with staff_client(platform, "tara") as tara:
        page = tara.get("/staff/wifi/devices").text
        assert "Everyone&#39;s devices" in page or "Everyone's devices" in page
        device_id = HIDDEN.findall(page)[0][1]
        done = tara.post(
            "/staff/wifi/devices/approve",
            data={**form(tara, "/staff/wifi/devices"), "device_id": device_id},
            follow_redirects=True,
        )
        assert "Approved" in done.text
    with platform.unit_of_work() as uow:
        assert uow.session.scalars(select(StaffDevice)).one().status == DeviceStatus.APPROVED
    with staff_client(platform, "erin") as erin:
        page = erin.get("/staff/wifi/devices").text
        device_id = HIDDEN.findall(page)[0][1]
        refused = erin.post(
            "/staff/wifi/devices/approve",
            data={**form(erin, "/staff/wifi/devices"), "device_id": device_id},
        )
        assert refused.status_code == 422
        removed = erin.post(
            "/staff/wifi/devices/remove",
            data={**form(erin, "/staff/wifi/devices"), "device_id": device_id},
            follow_redirects=True,
        )
        assert "Removed" in removed.text
    with platform.unit_of_work() as uow:
        assert uow.session.scalars(select(StaffDevice)).one().status == DeviceStatus.REMOVED
