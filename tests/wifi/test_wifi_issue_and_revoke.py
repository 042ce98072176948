"""Issuing and revoking guest codes from the service, the command line and the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from klaremont.audit.models import AuditEvent
from klaremont.cli.context import use_platform
from klaremont.cli.main import app
from klaremont.errors import NotFound, ValidationFailed
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client
from klaremont.wifi import service_guest
from klaremont.wifi.codes import ALPHABET, is_randomised, normalise_code, normalise_mac
from klaremont.wifi.models import GuestCode
from klaremont.wifi.service_guest import MAX_BATCH


@pytest.fixture
def run(platform):
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    use_platform(None)


@pytest.mark.policy("IS-WIFI-GUEST")
def test_a_batch_of_codes_is_unique_random_and_easy_to_type(platform):
    with platform.unit_of_work() as uow:
        issued = service_guest.issue(uow, count=MAX_BATCH, by="test")
    codes = [made.code for made in issued]
    assert len(set(codes)) == MAX_BATCH
    assert len({made.batch for made in issued}) == 1
    for code in codes:
        plain = normalise_code(code)
        assert plain is not None
        assert not set(plain) & set("01OIL")
        assert set(plain) <= set(ALPHABET)
    with platform.unit_of_work() as uow:
        events = list(uow.session.scalars(select(AuditEvent)))
        assert any(e.action == "wifi.codes_issued" for e in events)
        assert not any(codes[0] in str(e.details) for e in events)


@pytest.mark.policy("IS-WIFI-GUEST")
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": MAX_BATCH + 1}, "count"),
        ({"valid_hours": 9}, "valid_hours"),  # longer than the policy allows
        ({"max_devices": 2}, "max_devices"),
    ],
)
def test_a_request_cannot_stretch_a_code_past_the_policy(platform, kwargs, field):
    with platform.unit_of_work() as uow, pytest.raises(ValidationFailed) as caught:
        service_guest.issue(uow, by="test", **kwargs)
    assert caught.value.problems[0].field == field


def test_revoking_a_code_a_batch_or_nothing(platform):
    with platform.unit_of_work() as uow:
        one = service_guest.issue(uow, by="test")[0]
        batch = service_guest.issue(uow, count=3, by="test")
    with platform.unit_of_work() as uow:
        assert service_guest.revoke(uow, by="test", code=one.code) == 1
        assert service_guest.revoke(uow, by="test", code=one.code) == 0  # already revoked
        assert service_guest.revoke(uow, by="test", batch=batch[0].batch.lower()) == 3
        with pytest.raises(NotFound):
            service_guest.revoke(uow, by="test", code="ZZZZZ-ZZZZZ")
        with pytest.raises(NotFound):
            service_guest.revoke(uow, by="test", batch="NOPE")
        with pytest.raises(NotFound):
            service_guest.revoke(uow, by="test")
        rows = service_guest.recent(uow)
        assert {row.state(uow.clock.now()) for row in rows} == {"revoked"}


def test_the_command_line_issues_lists_and_revokes(platform, run):
    result = run("wifi", "issue", "--count", "2")
    assert result.exit_code == 0, result.output
    codes = [line.split()[0] for line in result.output.splitlines() if "batch" in line]
    assert len(codes) == 2
    listed = run("wifi", "codes")
    assert listed.exit_code == 0
    assert codes[0] not in listed.output
    assert "not used yet" in listed.output
    assert run("wifi", "revoke", codes[0]).output.strip() == "1 code(s) revoked"
    assert run("wifi", "revoke").exit_code != 0
    added = run(
        "wifi",
        "add-access-point",
        "--name",
        "till-1",
        "--network",
        "10.1.2.0/24",
        "--secret",
        "a-long-shared-secret-for-till-1",
    )
    assert added.exit_code == 0, added.output
    assert "till-1  10.1.2.0/24" in run("wifi", "access-points").output
    assert run("wifi", "remove-access-point", "till-1").exit_code == 0
    assert "no access points" in run("wifi", "access-points").output
    with platform.unit_of_work() as uow:
        assert uow.session.scalars(select(GuestCode)).first() is not None


@pytest.mark.policy("IS-WIFI-GUEST")
def test_the_api_issues_to_support_and_refuses_others(platform):
    make_staff(platform, "sam", Role.SUPPORT_AGENT)
    make_staff(platform, "mia", Role.MARKETING)
    with staff_client(platform, "sam") as sam:
        made = sam.post("/api/wifi/codes", json={"count": 2})
        assert made.status_code == 201, made.text
        codes = [row["code"] for row in made.json()]
        listed = sam.get("/api/wifi/codes").json()
        assert [row["state"] for row in listed] == ["not used yet"] * 2
        assert codes[0] not in str(listed)
        revoked = sam.post("/api/wifi/codes/revoke", json={"code": codes[0]})
        assert revoked.json() == {"revoked": 1}
        both = sam.post("/api/wifi/codes/revoke", json={"code": codes[1], "batch": "X"})
        assert both.status_code == 422
        assert sam.post("/api/wifi/codes", json={"count": 0}).status_code == 422
    with staff_client(platform, "mia") as mia:
        assert mia.post("/api/wifi/codes", json={"count": 1}).status_code == 403


@pytest.mark.policy("IS-WIFI-STAFF")
@pytest.mark.parametrize(
    "spelling",
    ["aa-bb-cc-dd-ee-0f", "AA:BB:CC:DD:EE:0F", "AABBCCDDEE0F", "aabb.ccdd.ee0f", "AABB-CCDD-EE0F"],
)
def test_every_radius_spelling_of_a_mac_is_one_address(spelling):
    assert normalise_mac(spelling) == "aa:bb:cc:dd:ee:0f"


def test_what_is_not_a_mac_or_a_code():
    assert normalise_mac("aa:bb:cc") is None
    assert normalise_mac("gg:bb:cc:dd:ee:ff") is None
    assert normalise_code("ABCDE-FGHJ") is None
    assert normalise_code("ABCDE-FGHJ0") is None
    assert is_randomised("da:a1:19:00:00:01")
    assert not is_randomised("00:1b:63:00:00:01")
