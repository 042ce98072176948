"""Running a job through the lease records its outcome; the in-process worker triggers the
declared jobs, catches up missed slots once, and stops cleanly."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from jobs_support import CALLS, GATE, SECRET, registered, runs, runs_per_slot, scheduled, wait_until
from sqlalchemy import text

from klaremont.capabilities import Job
from klaremont.jobs import lease
from klaremont.jobs.config import JobSettings
from klaremont.jobs.models import RunStatus, Trigger
from klaremont.jobs.runner import OVERLAP, run_job
from klaremont.jobs.status import RunView, history
from klaremont.jobs.worker import Worker
from klaremont.platform import Platform

COUNT = scheduled("count", "jobs_support:count")
EXPLODE = scheduled("explode", "jobs_support:explode")


def test_a_run_records_its_one_line_summary(platform):
    outcome = run_job(platform, COUNT, worker="w:1")
    assert outcome.status is RunStatus.SUCCEEDED
    (row,) = runs(platform, "count")
    assert row.summary == outcome.summary
    assert "\n" not in (row.summary or "")
    assert (row.status, row.worker, row.trigger) == ("succeeded", "w:1", "schedule")
    assert row.finished_at is not None
    assert row.started_at <= row.finished_at
    # The same slot again: another worker already has it.
    assert run_job(platform, COUNT, worker="w:2").status is None
    assert CALLS.count("count") == 1


def test_a_failing_job_is_recorded_failed_with_a_redacted_error(platform):
    outcome = run_job(platform, EXPLODE, worker="w:1")
    assert outcome.status is RunStatus.FAILED
    (row,) = runs(platform, "explode")
    assert row.status == "failed"
    assert row.error is not None
    assert row.error.startswith("RuntimeError: cannot reach postgresql://")
    assert SECRET not in row.error
    assert "ops@klaremont.example" not in row.error


def test_a_slot_is_skipped_while_the_previous_run_is_still_going(platform, clock):
    gate = scheduled("gate", "jobs_support:wait_for_gate")
    with registered():
        first: list[object] = []
        thread = threading.Thread(
            target=lambda: first.append(run_job(platform, gate, worker="w:1"))
        )
        thread.start()
        assert wait_until(lambda: "gate" in CALLS)
        clock.advance(timedelta(minutes=1))
        second = run_job(platform, gate, worker="w:2")
        GATE.set()
        thread.join()
    assert second.status is RunStatus.SKIPPED
    assert second.summary == OVERLAP
    statuses = sorted(row.status for row in runs(platform, "gate"))
    assert statuses == ["skipped", "succeeded"]


def test_a_stopping_worker_releases_what_it_claimed(platform):
    stopping = threading.Event()
    stopping.set()
    outcome = run_job(platform, COUNT, worker="w:1", stopping=stopping)
    assert outcome.status is None
    assert runs(platform, "count") == []
    assert "count" not in CALLS


def test_a_manual_run_has_its_own_slot(platform, clock):
    run_job(platform, COUNT, worker="w:1")
    manual = run_job(platform, COUNT, worker="w:1", trigger=Trigger.MANUAL)  # clock on the slot
    clock.advance(timedelta(seconds=1))
    again = run_job(platform, COUNT, worker="w:1", trigger=Trigger.MANUAL)
    assert again.status is RunStatus.SUCCEEDED
    assert manual.status is RunStatus.SUCCEEDED
    assert sorted(r.trigger for r in runs(platform, "count")) == ["manual", "manual", "schedule"]


def test_catch_up_runs_every_declared_job_once(platform):
    worker = Worker(platform, identity="w:1")
    first = worker.catch_up()
    assert {o.job for o in first} == {job.name for job in worker.jobs}
    assert first[-1].job == "jobs-watchdog"  # judges the others after they caught up
    assert all(o.status is RunStatus.SUCCEEDED for o in first), [o.error for o in first]
    assert worker.due_now() == []
    assert worker.catch_up() == []


def test_two_workers_catching_up_at_once_run_each_slot_once(platform, settings, clock):
    other = Platform.build(settings, clock=clock)
    try:
        workers = [Worker(platform, identity="a:1"), Worker(other, identity="b:2")]
        barrier = threading.Barrier(2)

        def go(worker: Worker) -> None:
            barrier.wait()
            worker.catch_up()

        threads = [threading.Thread(target=go, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    for job in workers[0].jobs:
        assert list(runs_per_slot(platform, job.name).values()) == [1], job.name


def test_catch_up_takes_over_an_abandoned_run(platform, clock):
    worker = Worker(platform, identity="b:2", settings=JobSettings(lease_seconds=60))
    job = next(j for j in worker.jobs if j.name == "prune-throttle")
    slot = lease.slot_of(clock.now(), job.every)
    held = lease.claim(
        platform, job.name, slot, worker="dead:1", trigger=Trigger.SCHEDULE, lease=timedelta(60)
    )
    assert held is not None
    assert job not in worker.due_now()
    clock.advance(timedelta(seconds=61))
    assert job in worker.due_now()
    worker.catch_up()
    (row,) = runs(platform, job.name)
    assert (row.status, row.worker, row.attempts) == ("succeeded", "b:2", 2)


def test_the_worker_triggers_jobs_on_their_interval_and_stops_cleanly(settings):
    real_time = Platform.build(settings)  # the scheduler's slots follow the real clock
    try:
        with registered(Job("count", "jobs_support:count", timedelta(seconds=1), "counts")):
            job_settings = JobSettings(catch_up_seconds=3600)
            worker = Worker(real_time, settings=job_settings, identity="w:1")
            worker.start()
            try:
                assert wait_until(lambda: CALLS.count("count") >= 3)
            finally:
                worker.stop()
            ran = CALLS.count("count")
        rows = runs(real_time, "count")
    finally:
        real_time.dispose()
    assert len(rows) == ran
    assert all(row.status == "succeeded" for row in rows)
    assert len({row.slot_start for row in rows}) == len(rows)
    assert worker.catch_up() == []  # stopped: nothing more starts


def test_a_database_problem_is_logged_not_raised(platform):
    """The worker keeps going when its table cannot be read (it tries again next tick)."""
    worker = Worker(platform, identity="w:1")
    with platform.engine.begin() as conn:
        conn.execute(text("DROP TABLE job_runs"))
    assert worker.catch_up() == []
    assert worker._fire(worker.jobs[0], Trigger.SCHEDULE) is None


def test_the_heartbeat_keeps_the_lease_and_notices_a_takeover(platform, clock):
    gate = scheduled("gate", "jobs_support:wait_for_gate")
    done: list[object] = []
    thread = threading.Thread(
        target=lambda: done.append(
            run_job(platform, gate, worker="w:1", settings=JobSettings(lease_seconds=3))
        )
    )
    thread.start()
    try:
        assert wait_until(lambda: "gate" in CALLS)
        clock.advance(timedelta(seconds=2))
        beat_at = clock.now()
        assert wait_until(lambda: runs(platform, "gate")[0].heartbeat_at == beat_at)
        with platform.unit_of_work() as uow:  # another worker took it over meanwhile
            uow.session.execute(text("UPDATE job_runs SET worker = 'thief:9'"))
        clock.advance(timedelta(seconds=2))
        time.sleep(1.5)  # let the heartbeat find it lost the run (nothing timed is asserted)
    finally:
        GATE.set()
        thread.join()
    (row,) = runs(platform, "gate")
    assert (row.worker, row.status) == ("thief:9", "running")  # not recorded by the loser
    assert row.heartbeat_at == beat_at


def test_a_running_run_has_no_duration(platform):
    held = lease.claim(
        platform,
        "j",
        lease.slot_of(platform.clock.now(), timedelta(minutes=1)),
        worker="w:1",
        trigger=Trigger.SCHEDULE,
        lease=timedelta(minutes=5),
    )
    assert held is not None
    with platform.unit_of_work() as uow:
        (view,) = history(uow.session, job="j")
    assert isinstance(view, RunView)
    assert view.seconds is None
