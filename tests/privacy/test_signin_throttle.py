"""Customer sign-in throttle: a paused address answers like any failure, checks no password,
counts unknown addresses alike, ends by itself, and holds under parallel guessing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from privacy_support import TEST_ACTOR, csrf_of, make_customer
from sqlalchemy import select

from klaremont.audit.events import ActionTag
from klaremont.audit.models import AuditEvent
from klaremont.privacy import signin, throttle
from klaremont.privacy.models import SignInThrottle
from klaremont.staff.actions import StaffAction
from klaremont.staff.hashing import hashing_for

WRONG = "not-the-password-at-all"
ATTACKER = "203.0.113.9"
NEIGHBOUR = "198.51.100.20"


def _attempt(client, email, password):
    token = csrf_of(client.get("/privacy/sign-in").text)
    return client.post(
        "/privacy/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def _sign_in(platform, email, password, origin=ATTACKER) -> bool:
    with platform.unit_of_work(origin=origin) as uow:
        return signin.sign_in(uow, email, password) is not None


def _events(platform, action: ActionTag) -> list[AuditEvent]:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return list(
            uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


def _reasons(platform) -> list[str]:
    return [e.details_dict().get("reason", "ok") for e in _events(platform, StaffAction.AUTH_LOGIN)]


def _with_rules(platform, **changes) -> None:
    rules = platform.policy.customer_signin.model_copy(update=changes)
    platform.policy = platform.policy.model_copy(update={"customer_signin": rules})


def _strip_token(html: str, email: str = "") -> str:
    """The page without its form token and the address typed (filled in again)."""
    return html.replace(csrf_of(html), "").replace(f'value="{email}"', 'value=""')


@pytest.mark.policy("DP-SECURE", "IS-SENS-SAFE")
def test_paused_address_answers_like_any_failure_and_checks_no_password(platform, client):
    """After five wrong passwords the right one is refused without being checked, and the
    answer matches an unknown address and a plain wrong password byte for byte."""
    ada = make_customer(platform)
    bob = make_customer(platform, "bob@example.com", name="Bob Marsh")
    for _ in range(platform.policy.customer_signin.max_failures):
        assert _attempt(client, ada.email, WRONG).status_code == 401
    hashing = hashing_for(platform)
    before = hashing.evaluations
    paused = _attempt(client, ada.email, ada.password)
    assert hashing.evaluations == before  # the real hash was not touched
    answers = [
        (paused, ada.email),
        (_attempt(client, "nobody@example.com", WRONG), "nobody@example.com"),
        (_attempt(client, bob.email, WRONG), bob.email),
    ]
    assert {r.status_code for r, _email in answers} == {401}
    assert len({_strip_token(r.text, email) for r, email in answers}) == 1
    assert all("set-cookie" not in r.headers for r, _email in answers)
    assert "pauses for 15 minutes" in paused.text
    assert _reasons(platform)[-3:] == ["throttled", "unknown", "password"]
    [pause] = _events(platform, StaffAction.AUTH_LOCKOUT)
    assert pause.details_dict() == {"scope": "address", "failures": 5, "cooldown_minutes": 15}
    for event in _events(platform, StaffAction.AUTH_LOGIN):
        assert ada.email not in event.details
        assert "example.com" not in event.actor_id


@pytest.mark.policy("DP-SECURE")
def test_unknown_addresses_are_counted_alike_in_any_spelling(platform):
    """An address with no account pauses after the same number of failures, and a change of
    case or surrounding spaces is the same address."""
    spellings = ["nobody@example.com", "Nobody@Example.com", " NOBODY@example.com "]
    for index in range(5):
        assert not _sign_in(platform, spellings[index % 3], WRONG)
    assert not _sign_in(platform, "nobody@example.com", WRONG)
    assert _reasons(platform) == ["unknown"] * 5 + ["throttled"]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.scalars(select(SignInThrottle)).all()
    assert {(r.scope, r.failures) for r in rows} == {("address", 5), ("origin", 5)}
    assert all("nobody" not in r.key_hash for r in rows)


@pytest.mark.policy("DP-SECURE", "IS-SENS-SAFE")
def test_pause_ends_by_itself_after_the_cooldown(platform, clock):
    """A customer is never locked out for good: the pause lifts after cooldown_minutes."""
    ada = make_customer(platform)
    for _ in range(5):
        assert not _sign_in(platform, ada.email, WRONG)
    clock.advance(timedelta(minutes=15) - timedelta(seconds=1))
    assert not _sign_in(platform, ada.email, ada.password)
    clock.advance(timedelta(seconds=2))
    assert _sign_in(platform, ada.email, ada.password)
    assert _reasons(platform)[-2:] == ["throttled", "ok"]


@pytest.mark.policy("DP-SECURE")
def test_success_clears_the_count_and_old_failures_are_forgotten(platform, clock):
    """Failures count between successes and within the window only."""
    ada = make_customer(platform)
    for _ in range(4):
        assert not _sign_in(platform, ada.email, WRONG)
    assert _sign_in(platform, ada.email, ada.password)
    for _ in range(4):
        assert not _sign_in(platform, ada.email, WRONG)
    clock.advance(timedelta(minutes=15, seconds=1))
    for _ in range(4):
        assert not _sign_in(platform, ada.email, WRONG)
    assert _sign_in(platform, ada.email, ada.password)
    assert "throttled" not in _reasons(platform)


@pytest.mark.policy("DP-SECURE", "IS-SENS-SAFE")
def test_parallel_wrong_guesses_evaluate_at_most_max_failures(platform):
    """30 wrong guesses at once from 30 threads: at most five passwords are evaluated, the
    address pauses once, and then the right password is refused too."""
    ada = make_customer(platform)
    hashing = hashing_for(platform)
    before = hashing.evaluations

    def attempt(index: int) -> bool:
        return _sign_in(platform, ada.email, WRONG, origin=f"192.0.2.{index}")

    with ThreadPoolExecutor(30) as pool:
        assert not any(pool.map(attempt, range(30)))
    assert hashing.evaluations - before <= 5
    reasons = _reasons(platform)
    assert reasons.count("password") <= 5
    assert reasons.count("throttled") >= 25
    assert len(_events(platform, StaffAction.AUTH_LOCKOUT)) == 1
    assert not _sign_in(platform, ada.email, ada.password)


@pytest.mark.policy("DP-SECURE", "IS-SENS-SAFE")
def test_one_client_trying_many_addresses_pauses(platform, clock):
    """A client that fails on many addresses pauses as a whole; other clients do not."""
    _with_rules(platform, max_failures=3, origin_max_failures=6)
    ada = make_customer(platform)
    for index in range(6):
        assert not _sign_in(platform, f"guess{index}@example.com", WRONG)
    assert not _sign_in(platform, ada.email, ada.password)
    assert _reasons(platform)[-1] == "throttled"
    [pause] = _events(platform, StaffAction.AUTH_LOCKOUT)
    assert pause.details_dict()["scope"] == "origin"
    assert pause.origin == ATTACKER
    assert _sign_in(platform, ada.email, ada.password, origin=NEIGHBOUR)
    clock.advance(timedelta(minutes=15, seconds=1))
    assert _sign_in(platform, ada.email, ada.password)


@pytest.mark.policy("DP-SECURE")
def test_a_paused_client_does_not_use_up_a_customers_attempts(platform):
    """Refused attempts from a paused client are not counted against the address."""
    _with_rules(platform, max_failures=3, origin_max_failures=3)
    ada = make_customer(platform)
    for index in range(3):
        assert not _sign_in(platform, f"guess{index}@example.com", WRONG)
    for _ in range(10):
        assert not _sign_in(platform, ada.email, WRONG)
    for _ in range(2):
        assert not _sign_in(platform, ada.email, WRONG, origin=NEIGHBOUR)
    assert _sign_in(platform, ada.email, ada.password, origin=NEIGHBOUR)


def test_prune_drops_only_rows_whose_window_and_pause_are_over(platform, clock):
    """Old rows go; a live pause and a live window stay, so pruning changes no answer."""
    ada = make_customer(platform)
    assert not _sign_in(platform, "old@example.com", WRONG, origin=NEIGHBOUR)
    clock.advance(timedelta(minutes=10))
    for _ in range(5):
        assert not _sign_in(platform, ada.email, WRONG)
    clock.advance(timedelta(minutes=6))
    assert not _sign_in(platform, "recent@example.com", WRONG)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert throttle.prune(uow) == 2  # old@ and the neighbour's client
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        left = uow.session.scalars(select(SignInThrottle)).all()
    assert sorted((r.scope, r.failures) for r in left) == [
        ("address", 1),
        ("address", 5),
        ("origin", 6),
    ]
    assert not _sign_in(platform, ada.email, ada.password)


def test_prune_command_removes_expired_rows_and_prints_a_count(platform, clock):
    """``klaremont privacy prune-throttle`` is the scheduled form of :func:`throttle.prune`."""
    from typer.testing import CliRunner  # noqa: PLC0415 - only this test drives the CLI

    from klaremont.cli import main  # noqa: PLC0415
    from klaremont.cli.context import use_platform  # noqa: PLC0415

    assert not _sign_in(platform, "gone@example.com", WRONG)
    clock.advance(timedelta(hours=2))
    use_platform(platform)
    try:
        first = CliRunner().invoke(main.app, ["privacy", "prune-throttle"])
        again = CliRunner().invoke(main.app, ["privacy", "prune-throttle"])
    finally:
        use_platform(None)
    assert first.exit_code == 0, first.output
    assert "removed 2 expired" in first.output  # the address row and the client row
    assert "removed 0 expired" in again.output
    assert "gone@example.com" not in first.output
