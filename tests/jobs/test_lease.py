"""The lease: one row per job and slot, whoever inserts it runs it; abandoned runs are taken
over once; errors are stored without secrets."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from jobs_support import SECRET, runs
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.jobs import lease
from klaremont.jobs.actions import JobsAction
from klaremont.jobs.models import RunStatus, Trigger
from klaremont.platform import Platform

LEASE = timedelta(seconds=60)
SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_slots_are_aligned_on_the_interval():
    moment = datetime(2026, 3, 2, 9, 31, 17, 250_000, tzinfo=UTC)
    assert lease.slot_of(moment, timedelta(minutes=1)) == datetime(2026, 3, 2, 9, 31, tzinfo=UTC)
    assert lease.slot_of(moment, timedelta(days=1)) == datetime(2026, 3, 2, tzinfo=UTC)
    assert lease.slot_of(moment, timedelta(seconds=2)) == datetime(
        2026, 3, 2, 9, 31, 16, tzinfo=UTC
    )


def _race(platforms: list[Platform], slot: datetime) -> list[lease.Claim | None]:
    """Each platform claims ``slot`` from its own thread, released at the same moment."""
    barrier = threading.Barrier(len(platforms))
    won: list[lease.Claim | None] = []

    def race(on: Platform, name: str) -> None:
        barrier.wait()
        won.append(
            lease.claim(on, "race", slot, worker=name, trigger=Trigger.SCHEDULE, lease=LEASE)
        )

    threads = [
        threading.Thread(target=race, args=(on, f"w{n}:{n}")) for n, on in enumerate(platforms)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won


def test_two_workers_racing_for_a_slot_get_it_once(platform, settings, clock):
    """Two platforms (own engines and pools, like two processes) insert at the same moment."""
    other = Platform.build(settings, clock=clock)
    try:
        for n in range(4):
            won = _race([platform, other], SLOT + timedelta(minutes=n))
            assert sum(claim is not None for claim in won) == 1
    finally:
        other.dispose()
    assert [r.slot_start for r in runs(platform, "race")] == [
        SLOT + timedelta(minutes=n) for n in range(4)
    ]


def test_a_live_run_is_not_taken_over(platform, clock):
    held = lease.claim(platform, "j", SLOT, worker="a:1", trigger=Trigger.SCHEDULE, lease=LEASE)
    assert held is not None
    clock.advance(timedelta(seconds=30))
    assert lease.beat(platform, held)
    clock.advance(timedelta(seconds=45))  # 75 s after the start, 45 s after the beat
    assert (
        lease.claim(platform, "j", SLOT, worker="b:2", trigger=Trigger.SCHEDULE, lease=LEASE)
        is None
    )


def test_an_abandoned_run_is_taken_over_once(platform, settings, clock):
    held = lease.claim(platform, "j", SLOT, worker="a:1", trigger=Trigger.SCHEDULE, lease=LEASE)
    assert held is not None
    clock.advance(LEASE + timedelta(seconds=1))  # a:1 died: no beat for longer than the lease
    taken = lease.claim(platform, "j", SLOT, worker="b:2", trigger=Trigger.CATCH_UP, lease=LEASE)
    assert taken is not None
    assert (taken.attempts, taken.taken_over_from) == (2, "a:1")
    assert (
        lease.claim(platform, "j", SLOT, worker="c:3", trigger=Trigger.CATCH_UP, lease=LEASE)
        is None
    )
    # The first worker wakes up: the run is no longer its to beat, record or release.
    assert not lease.beat(platform, held)
    assert not lease.finish(platform, held, RunStatus.SUCCEEDED, summary="late")
    assert not lease.release(platform, held)
    assert lease.finish(platform, taken, RunStatus.SUCCEEDED, summary="done")
    (row,) = runs(platform, "j")
    assert (row.status, row.worker, row.attempts, row.summary) == ("succeeded", "b:2", 2, "done")
    with platform.unit_of_work() as uow:
        event = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == JobsAction.JOB_TAKEOVER.value)
        ).one()
        assert event.resource == "job:j"


def test_a_finished_run_is_never_taken_over(platform, clock):
    held = lease.claim(platform, "j", SLOT, worker="a:1", trigger=Trigger.SCHEDULE, lease=LEASE)
    assert held is not None
    assert lease.finish(platform, held, RunStatus.FAILED, error="RuntimeError: x")
    clock.advance(timedelta(days=1))
    assert (
        lease.claim(platform, "j", SLOT, worker="b:2", trigger=Trigger.SCHEDULE, lease=LEASE)
        is None
    )


def test_a_released_slot_can_be_claimed_again(platform):
    held = lease.claim(platform, "j", SLOT, worker="a:1", trigger=Trigger.SCHEDULE, lease=LEASE)
    assert held is not None
    assert lease.release(platform, held)
    again = lease.claim(platform, "j", SLOT, worker="b:2", trigger=Trigger.SCHEDULE, lease=LEASE)
    assert again is not None
    assert again.attempts == 1


@pytest.mark.parametrize(
    ("message", "kept", "gone"),
    [
        (f"postgresql://shop:{SECRET}@db/x refused", "postgresql://", SECRET),
        (f"login failed: password={SECRET}", "login failed", SECRET),
        ("bounced for someone@example.com", "bounced for", "someone@example.com"),
        ("card 4111 1111 1111 1111 refused", "refused", "4111 1111 1111 1111"),
        (
            "token abcdefghijklmnopqrstuvwxyz0123 expired",
            "expired",
            "abcdefghijklmnopqrstuvwxyz0123",
        ),
    ],
)
def test_errors_are_stored_without_secrets(message, kept, gone):
    described = lease.describe_error(ConnectionError(message))
    assert described.startswith("ConnectionError: ")
    assert kept in described
    assert gone not in described


def test_an_error_without_message_is_its_type():
    assert lease.describe_error(TimeoutError()) == "TimeoutError"
    assert len(lease.describe_error(ValueError("x" * 5000))) <= lease.ERROR_MAX


def test_worker_identity_is_host_and_pid():
    host, pid = lease.worker_identity().rsplit(":", 1)
    assert host
    assert pid.isdigit()
