"""Helpers of the job worker's tests: a throwaway capability with jobs that fail or count,
subprocess workers, and a customer with a rights request."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont import capabilities
from klaremont.audit.events import Actor, ActorType
from klaremont.capabilities import Capability, Job
from klaremont.customers.models import CollectionChannel, Customer
from klaremont.db.subjects import Subject
from klaremont.jobs.config import ScheduledJob
from klaremont.jobs.models import JobRun
from klaremont.policy.purposes import LawfulBasis
from klaremont.rights import deadlines, intake
from klaremont.rights.models import RequestKind, RightsRequest
from klaremont.rights.ports import CustomerIdentity

if TYPE_CHECKING:
    from klaremont.config import Settings
    from klaremont.platform import Platform

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")
THROWAWAY = "throwaway_jobs"
SECRET = "hunter2-very-secret"
CALLS: list[str] = []
GATE = threading.Event()


def explode(platform: Platform) -> str:
    """A job that fails, quoting a secret in its message (which must not be stored)."""
    del platform
    CALLS.append("explode")
    msg = (
        f"cannot reach postgresql://shop:{SECRET}@db.internal/klaremont "
        f"(password={SECRET}, owner ops@klaremont.example)"
    )
    raise RuntimeError(msg)


def count(platform: Platform) -> str:
    """A job that succeeds and says how often it ran."""
    del platform
    CALLS.append("count")
    return f"counted {len(CALLS)}\nsecond line is dropped"


def wait_for_gate(platform: Platform) -> str:
    """A job that runs until the test opens the gate."""
    del platform
    CALLS.append("gate")
    GATE.wait(30)
    return "gate opened"


def throwaway(*jobs: Job) -> Capability:
    """A capability declared outside ``klaremont/`` that only brings jobs."""
    return Capability(name=THROWAWAY, summary="test jobs", package="jobs_support", jobs=tuple(jobs))


@contextmanager
def registered(*jobs: Job) -> Iterator[None]:
    """Register throwaway jobs for the block."""
    CALLS.clear()
    GATE.clear()
    capabilities.register(throwaway(*jobs))
    try:
        yield
    finally:
        GATE.set()
        capabilities.unregister(THROWAWAY)


def scheduled(name: str, target: str, every: timedelta = timedelta(minutes=1)) -> ScheduledJob:
    """A scheduled job by hand (no declaration needed)."""
    return ScheduledJob(name, target, every, "a test job", THROWAWAY, every)


def runs(platform: Platform, job: str | None = None) -> list[JobRun]:
    """Every recorded run, oldest first."""
    with platform.unit_of_work() as uow:
        query = select(JobRun).order_by(JobRun.started_at, JobRun.slot_start)
        if job is not None:
            query = query.where(JobRun.job == job)
        rows = list(uow.session.scalars(query).all())
        uow.session.expunge_all()
        return rows


def runs_per_slot(platform: Platform, job: str) -> dict[datetime, int]:
    """How many rows each slot of ``job`` has."""
    with platform.unit_of_work() as uow:
        rows = uow.session.execute(
            select(JobRun.slot_start, func.count())
            .where(JobRun.job == job)
            .group_by(JobRun.slot_start)
        ).all()
    return {slot: int(n) for slot, n in rows}


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (no timing asserted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def worker_env(settings: Settings, intervals: str, **extra: str) -> dict[str, str]:
    """The environment of a ``klaremont worker`` subprocess on the test's databases."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAREMONT_")}
    env.update(
        KLAREMONT_ENVIRONMENT="test",
        KLAREMONT_VAR_DIR=str(settings.var_dir),
        KLAREMONT_DATABASE_URL=settings.database_url,
        KLAREMONT_KEYSTORE_URL=settings.keystore_url,
        KLAREMONT_LOG_JSON="true",
        KLAREMONT_JOB_INTERVALS=intervals,
        KLAREMONT_JOB_LEASE_SECONDS="30",
        KLAREMONT_JOB_CATCH_UP_SECONDS="1",
        **extra,
    )
    return env


@contextmanager
def workers(env: dict[str, str], n: int, log_dir: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``n`` real ``klaremont worker`` processes; stopped (then killed) when the block ends."""
    klaremont = Path(sys.executable).parent / "klaremont"
    started: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for index in range(n):
            log = (log_dir / f"worker-{index}.log").open("wb")
            logs.append(log)
            started.append(
                subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
                    [str(klaremont), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def customer(platform: Platform, reference: str = "T0000001") -> CustomerIdentity:
    """A customer with an account (no personal values needed here)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        now = uow.clock.now()
        subject = Subject(created_at=now - timedelta(days=400), last_activity_at=now)
        uow.session.add(subject)
        row = Customer(
            subject_id=subject.id,
            reference=reference,
            created_at=now - timedelta(days=400),
            updated_at=now,
            channel=CollectionChannel.ACCOUNT_CREATION,
            collected_at=now - timedelta(days=400),
            lawful_basis=LawfulBasis.CONTRACT,
        )
        row.email = f"{reference.lower()}@example.com"
        uow.session.add(row)
        return CustomerIdentity(subject.id, row.id)


def request_due_on(platform: Platform, due: date) -> str:
    """An access request (signed in, so verified) whose deadline is ``due``; its reference."""
    who = customer(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, who, RequestKind.ACCESS)
        policy = uow.policy.dsr
        received = next(
            due - timedelta(days=back)
            for back in range(1, 120)
            if deadlines.for_policy(
                policy, due - timedelta(days=back), paused=0, extension_months=0
            ).due
            == due
        )
        request = uow.session.get(RightsRequest, made.id)
        assert request is not None
        request.received_on = received
        request.received_at = datetime.combine(received, datetime.min.time(), tzinfo=UTC)
        request.original_due_on = due
        request.due_on = due
        return request.reference
