"""Clock skew reporting (IS-AC-CLOCK) and the demo staff (DP-AWARE, IS-PW-STRONG)."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime

import ntplib
import pytest
from sqlalchemy import select
from staff_support import make_staff, signed_in

from klaremont.audit.models import AuditEvent
from klaremont.clock import ManualClock
from klaremont.demo import service as demo
from klaremont.platform import Platform
from klaremont.policy.model import SecondFactorPolicy
from klaremont.staff.clock_check import check_clock
from klaremont.staff.demo_data import DEMO_STAFF, LOGINS
from klaremont.staff.second_factor import required_for
from klaremont.staff.service_mfa import STEP_SECONDS, current_code


def _serve_once_per_request(sock: socket.socket, offset: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            request, client = sock.recvfrom(512)
        except TimeoutError:
            continue
        query = ntplib.NTPPacket()
        query.from_data(request)
        now = ntplib.system_to_ntp_time(time.time() + offset)
        answer = ntplib.NTPPacket(version=4, mode=4, tx_timestamp=now)
        answer.stratum = 2
        answer.recv_timestamp = now
        answer.orig_timestamp = query.tx_timestamp
        sock.sendto(answer.to_data(), client)


@pytest.fixture
def skewed_time_server():
    """A loopback SNTP server whose clock runs 5 seconds ahead."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()
    thread = threading.Thread(target=_serve_once_per_request, args=(sock, 5.0, stop), daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    sock.close()


@pytest.mark.policy("IS-AC-CLOCK")
def test_clock_skew_is_reported_against_the_time_source(settings, skewed_time_server):
    """With a time source configured, the check measures the skew and fails beyond one second."""
    configured = settings.model_copy(update={"time_source": skewed_time_server})
    platform = Platform.build(configured, clock=ManualClock(datetime.now(UTC)))
    try:
        report = check_clock(platform)
    finally:
        platform.dispose()
    assert report.ok is False
    assert report.offset == pytest.approx(5.0, abs=0.5)
    assert "outside 1 s" in report.detail


@pytest.mark.policy("IS-AC-CLOCK")
def test_clock_without_a_source_is_not_measured(platform):
    """Without a time source the check says so instead of guessing."""
    report = check_clock(platform)
    assert report.ok is True
    assert report.offset is None


@pytest.mark.policy("IS-AC-CLOCK", "IS-AC-LOGIN-LOG")
def test_login_events_carry_utc_time_and_origin(platform, office):
    """Every login event is stamped in UTC with the client address."""
    make_staff(platform, "uta")
    signed_in(office, make_staff(platform, "utb"))
    office.post("/api/auth/login", json={"username": "uta", "password": "not-right-at-all"})
    with platform.unit_of_work() as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login")
        ).all()
    assert {e.outcome for e in events} == {"success", "failure"}
    for event in events:
        assert event.occurred_at.endswith("Z")
        assert event.origin == "127.0.0.1"


@pytest.mark.policy("DP-AWARE", "IS-PW-STRONG")
def _demo_code(platform, login, ahead: int = 0) -> str:
    key = login.second_factor.removeprefix("TOTP key ")
    return current_code(key, int(platform.clock.now().timestamp()) // STEP_SECONDS + ahead)


@pytest.mark.policy("DP-AWARE", "IS-PW-STRONG", "IS-RA-2FA")
def test_demo_staff_can_sign_in(platform, office):
    """Seeding creates the documented demo staff, trained and vetted, and each demo login works.

    With the policy's default (a second factor for privileged roles), the printed TOTP key
    of each such demo account signs it in; the others need none.
    """
    platform.policy = platform.policy.model_copy(
        update={"second_factor": SecondFactorPolicy(required_for_privileged=True)}
    )
    report = demo.seed(platform, demo.DemoSize(customers=1))
    assert any(line.startswith("staff:") for line in report.lines)
    usernames = {login.username for login in LOGINS}
    assert usernames == {s.username for s in DEMO_STAFF}
    assert {s.role.value for s in DEMO_STAFF} >= {
        "dpo",
        "iso",
        "support_agent",
        "marketing",
        "finance",
        "engineer",
        "director",
    }
    for login in LOGINS:
        office.cookies.clear()
        body = {"username": login.username, "password": login.password}
        needs = required_for(
            platform.policy, [s.role for s in DEMO_STAFF if s.username == login.username]
        )
        assert bool(login.second_factor) == needs, login.username
        if needs:
            body["code"] = _demo_code(platform, login)
        response = office.post("/api/auth/login", json=body)
        assert response.status_code == 200, login.username
        assert office.get("/api/auth/me").status_code == 200, login.username
        assert "demo only" in login.note
    iso = next(s for s in DEMO_STAFF if s.role.value == "iso")
    iso_login = next(login for login in LOGINS if login.username == iso.username)
    office.cookies.clear()
    office.post(
        "/api/auth/login",
        json={
            "username": iso.username,
            "password": iso.password,
            "code": _demo_code(platform, iso_login, ahead=1),
        },
    )
    review = office.get("/api/staff/access-review").json()
    assert review["flag_counts"]["training-overdue"] == 0
    assert review["flag_counts"]["unvetted-data-role"] == 0
