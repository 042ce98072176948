"""Timed lockout that reveals no names, the retry time, and the burst alert (IS-PW-LOCK3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import PASSWORD, login, make_staff

from klaremont.audit.models import AuditEvent
from klaremont.display import uk_time
from klaremont.mail.models import OutboxMessage
from klaremont.staff import jobs, lockout
from klaremont.staff.models import LockoutAlert, LoginNameThrottle
from klaremont.staff.permissions import Role

WRONG = "not-the-password-at-all"


def _attempt(client, username, password=WRONG):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def _answer(response):
    body = response.json()
    return response.status_code, body["detail"], body["retry_after"]


@pytest.mark.policy("IS-PW-LOCK3")
def test_the_retry_time_never_tells_a_real_name_from_an_unknown_one(platform, office, clock):
    """Real and unknown names get the same answers, attempt for attempt, lock included."""
    make_staff(platform, "hazel")
    for attempt in range(1, 6):
        real = _answer(_attempt(office, "hazel"))
        unknown = _answer(_attempt(office, "nobody-by-this-name"))
        assert real == unknown, attempt
        assert real[0] == 401
        clock.advance(timedelta(minutes=5))
    # both locked at the third attempt (at START + 10 minutes): the retry time stays fixed
    locked_at = clock.now() - timedelta(minutes=15)
    assert real[2] == (locked_at + timedelta(minutes=30)).isoformat(timespec="minutes")
    # and with the right password the real account is still refused, same answer again
    assert _answer(_attempt(office, "hazel", PASSWORD)) == _answer(
        _attempt(office, "nobody-by-this-name", PASSWORD)
    )


@pytest.mark.policy("IS-PW-LOCK3")
def test_the_message_says_when_to_try_again_in_uk_time(platform, office, clock):
    """The failure says 'try again after HH:MM (UK time)': the lock's end once locked."""
    make_staff(platform, "ivan")
    for _ in range(3):
        response = _attempt(office, "ivan")
    detail = response.json()["detail"]
    ends = clock.now() + timedelta(minutes=30)
    assert f"try again after {uk_time(ends)} (UK time)" in detail
    assert "lock an account for 30 minutes" in detail
    clock.advance(timedelta(minutes=12))
    later = _attempt(office, "ivan", PASSWORD).json()["detail"]
    assert f"try again after {uk_time(ends)}" in later  # still the lock's end


@pytest.mark.policy("IS-PW-LOCK3")
def test_the_console_form_shows_the_same_retry_sentence(platform, office, clock):
    """The console's failure page carries the retry time for a real and an unknown name."""
    make_staff(platform, "jane")
    pages = []
    for name in ("jane", "no-such-person"):
        form = office.get("/staff/login")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = office.post(
            "/staff/login",
            data={"username": name, "password": WRONG, "csrf_token": token},
            headers={"Accept": "text/html"},
        )
        assert response.status_code == 401
        pages.append(response.text)
    ends = uk_time(clock.now() + timedelta(minutes=30))
    assert all(f"try again after {ends}" in page for page in pages)


@pytest.mark.policy("IS-PW-LOCK3")
def test_unknown_names_lock_and_unlock_like_real_ones_without_storing_the_name(
    platform, office, clock
):
    """An unknown name's counter is keyed by an HMAC; it locks for the same period."""
    for _ in range(3):
        _attempt(office, "Ghost.User")
    with platform.unit_of_work() as uow:
        rows = uow.session.scalars(select(LoginNameThrottle)).all()
        assert len(rows) == 1
        assert rows[0].key_hash == lockout.name_key(uow, "ghost.user")
        assert "ghost" not in rows[0].key_hash
        assert rows[0].locked_until == clock.now() + timedelta(minutes=30)
    clock.advance(timedelta(minutes=31))
    _attempt(office, "ghost.user")
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(select(LoginNameThrottle)).one()
        assert row.failures == 1
        assert row.locked_until is None


@pytest.mark.policy("IS-PW-LOCK3")
def test_an_administrator_can_still_unlock_early(platform, office, clock):
    """The ISO may lift a lock before its time (after confirming the person's identity)."""
    iso = make_staff(platform, "irma", Role.ISO)
    kim = make_staff(platform, "kim")
    for _ in range(3):
        login(office, kim, password=WRONG)
    headers = {"X-CSRF-Token": login(office, iso).json()["csrf_token"]}
    assert office.post(f"/api/staff/{kim.id}/unlock", headers=headers).status_code == 200
    office.cookies.clear()
    assert login(office, kim).status_code == 200


def _lockout_alerts(platform):
    with platform.unit_of_work() as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.lockout")
        ).all()
        bursts = [e.details_dict() for e in events if e.details_dict()["event"] == "lockout-burst"]
        mails = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "lockout_burst")
        ).all()
        alerts = uow.session.scalars(select(LockoutAlert)).all()
        return bursts, [(m.to_address, m.body) for m in mails], alerts


@pytest.mark.policy("IS-PW-LOCK3", "IS-AC-LOGIN-LOG")
def test_a_burst_of_lockouts_alerts_technical_operations_once(platform, office, clock):
    """Five locks (real or unknown names) within 15 minutes: one alert, mailed to techops."""
    make_staff(platform, "tess", Role.TECHNICAL_OPERATIONS)
    make_staff(platform, "tom", Role.TECHNICAL_OPERATIONS)
    make_staff(platform, "sue")  # not technical operations: no message
    names = ["sue", "ghost-1", "ghost-2", "ghost-3"]
    for name in names:
        for _ in range(3):
            _attempt(office, name)
        clock.advance(timedelta(minutes=2))
    assert _lockout_alerts(platform) == ([], [], [])  # four locks: no burst yet
    for _ in range(3):
        _attempt(office, "ghost-4")
    bursts, mails, alerts = _lockout_alerts(platform)
    assert len(bursts) == 1
    assert bursts[0]["lockouts"] == 5
    assert bursts[0]["routed_to"] == "technical_operations"
    assert sorted(address for address, _ in mails) == [
        "tess@klaremont.example",
        "tom@klaremont.example",
    ]
    assert all("5 staff sign-in locks happened within 15 minutes" in body for _, body in mails)
    assert all("ghost" not in body and "sue" not in body for _, body in mails)
    assert len(alerts) == 1
    for _ in range(3):  # a sixth lock in the same window: no second alert
        _attempt(office, "ghost-5")
    assert len(_lockout_alerts(platform)[0]) == 1


@pytest.mark.policy("IS-PW-LOCK3")
def test_locks_spread_over_time_raise_no_alert(platform, office, clock):
    """Five locks an hour apart are no burst."""
    make_staff(platform, "tina", Role.TECHNICAL_OPERATIONS)
    for n in range(5):
        for _ in range(3):
            _attempt(office, f"spread-{n}")
        clock.advance(timedelta(hours=1))
    assert _lockout_alerts(platform) == ([], [], [])


@pytest.mark.policy("IS-PW-LOCK3")
def test_the_daily_sweep_prunes_spent_lockout_rows_only(platform, office, clock):
    """Counters whose lock ran out go; a counter below the threshold stays (no tell)."""
    for _ in range(3):
        _attempt(office, "spent-name")
    _attempt(office, "one-failure")
    clock.advance(timedelta(days=2))
    with platform.unit_of_work() as uow:
        report = jobs.inactivity_sweep(uow)
    assert report.lockout_rows_pruned == 2  # the spent counter and its day-old lock record
    with platform.unit_of_work() as uow:
        kept = uow.session.scalars(select(LoginNameThrottle.key_hash)).all()
        assert kept == [lockout.name_key(uow, "one-failure")]
