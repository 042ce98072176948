"""Demo run history, so the Scheduled jobs page has something to show (DEMO ONLY).

Three days of past runs of every declared job, all succeeded but one failed run of the
mail job two days ago (an SMTP server that was away), so the page shows both outcomes.
Only past slots are written, so a worker started on the demo runs today's as usual.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from klaremont.jobs.config import scheduled_jobs
from klaremont.jobs.lease import slot_of
from klaremont.jobs.models import JobRun, RunStatus, Trigger

if TYPE_CHECKING:
    import random
    from datetime import datetime

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 90  # after everything else: it only records history
DAYS = 3
DEMO_WORKER = "demo-host:4242"
DEMO_SUMMARY = "demo run"


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Record past runs of each job; return a summary line."""
    del size
    now = uow.clock.now()
    added = 0
    for job in scheduled_jobs():
        every = max(job.every, timedelta(hours=8))  # a few per day at most for frequent jobs
        slots = _past_slots(now, job.every, every)
        failed_slot = slot_of(now - timedelta(days=2), every)
        for slot in slots:
            uow.session.add(
                _run(
                    job.name,
                    slot,
                    failed=job.name == "send-pending" and slot == failed_slot,
                    rng=rng,
                )
            )
            added += 1
    uow.session.flush()
    return [f"jobs: {added} past runs recorded (one failed mail run)"]


def _past_slots(now: datetime, every: timedelta, spacing: timedelta) -> list[datetime]:
    """Slots over the last days, ``spacing`` apart, ending with the job's latest past slot.

    A frequent job's history is thinned to a few runs a day, but its last run is always the
    slot just before now: a server started on fresh demo data must not say the job stopped
    running before its worker had the chance to run it.
    """
    latest = slot_of(now, every) - every
    slot = slot_of(now - timedelta(days=DAYS), spacing)
    slots: list[datetime] = []
    while slot < latest:
        slots.append(slot)
        slot += spacing
    slots.append(latest)
    return slots


def _run(job: str, slot: datetime, *, failed: bool, rng: random.Random) -> JobRun:
    started = slot + timedelta(seconds=rng.randint(0, 30))
    return JobRun(
        job=job,
        slot_start=slot,
        trigger=Trigger.SCHEDULE.value,
        status=(RunStatus.FAILED if failed else RunStatus.SUCCEEDED).value,
        worker=DEMO_WORKER,
        attempts=1,
        started_at=started,
        heartbeat_at=started + timedelta(seconds=2),
        finished_at=started + timedelta(seconds=rng.randint(1, 4)),
        summary=None if failed else DEMO_SUMMARY,
        error="ConnectionRefusedError: [Errno 111] Connection refused" if failed else None,
    )
