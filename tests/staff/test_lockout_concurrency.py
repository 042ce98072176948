"""Lockout under concurrency: processes and threads, at most three evaluations (IS-PW-LOCK3)."""

from __future__ import annotations

import multiprocessing
import queue
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from staff_support import WRONG_PASSWORD, login, make_staff, wrong_login_worker

from klaremont.audit.models import AuditEvent
from klaremont.staff.hashing import hashing_for
from klaremont.staff.models import StaffAccount
from klaremont.staff.service_authn import Channel, Credentials, authenticate

PROCESSES = 5
PER_PROCESS = 10


def _evaluated_failures(platform) -> int:
    """Login failures in the audit log whose password was actually evaluated."""
    with platform.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "auth.login", AuditEvent.outcome == "failure"
            )
        ).all()
        return sum(1 for row in rows if row.details_dict().get("evaluated"))


def _locked(platform, staff) -> bool:
    with platform.unit_of_work() as uow:
        account = uow.session.get(StaffAccount, staff.id)
        return account.locked_at is not None and account.failed_attempts == 3


def _collect(results, workers, timeout: float = 300.0) -> list[tuple[int, int]]:
    """Every worker's result; fails at once when a worker dies without one."""
    outcomes: list[tuple[int, int]] = []
    deadline = time.monotonic() + timeout
    while len(outcomes) < len(workers):
        try:
            outcomes.append(results.get(timeout=0.5))
        except queue.Empty:
            dead = [w for w in workers if w.exitcode not in (None, 0)]
            assert not dead, f"worker crashed with exit code {dead[0].exitcode}"
            assert time.monotonic() < deadline, "workers did not finish in time"
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return outcomes


@pytest.mark.policy("IS-PW-LOCK3")
def test_fifty_parallel_wrong_logins_from_several_processes(platform, settings, clock, office):
    """50 wrong logins from 5 processes (own engines) at once: at most 3 passwords are
    evaluated, none succeeds, the account is locked, and a 4th, correct login is refused.
    """
    gina = make_staff(platform, "gina")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(
            target=wrong_login_worker,
            args=(settings, "gina", PER_PROCESS, clock.now(), (barrier, results)),
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = _collect(results, workers)
    evaluations = sum(evaluated for evaluated, _ in outcomes)
    successes = sum(ok for _, ok in outcomes)
    assert successes == 0
    assert evaluations <= 3
    assert _evaluated_failures(platform) <= 3
    assert _locked(platform, gina)
    assert login(office, gina).status_code == 401


@pytest.mark.policy("IS-PW-LOCK3")
def test_fifty_parallel_wrong_logins_from_threads(platform):
    """50 wrong logins from 50 threads of one process: the same three-evaluation bound holds."""
    make_staff(platform, "hugo")
    hashing = hashing_for(platform)
    before = hashing.evaluations

    def attempt(_: int) -> bool:
        with platform.unit_of_work(origin="127.0.0.1") as uow:
            return authenticate(uow, Credentials("hugo", WRONG_PASSWORD), Channel.API).ok

    with ThreadPoolExecutor(50) as pool:
        assert not any(pool.map(attempt, range(50)))
    assert hashing.evaluations - before <= 3
    assert _evaluated_failures(platform) <= 3
    with platform.unit_of_work() as uow:
        right = authenticate(
            uow, Credentials("hugo", "violet-harbour-quietly-9-ferns"), Channel.API
        )
    assert not right.ok
