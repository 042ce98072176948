"""Several processes on one database: every counter and key lives in the database.

Two real ``klaremont serve`` processes (child processes, real HTTP) share this test's
databases, as production runs several web processes behind a proxy. A failure counted by
one process counts in the other (lockout), a person sealed by one is read by the other and
stays unreadable in storage, and an erasure in one is honoured by the other at once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx2 as httpx
import pyotp
import pytest
from sqlalchemy import func, select, text

from klaremont import capabilities
from klaremont.config import Settings
from klaremont.jobs.models import JobRun
from klaremont.platform import Platform
from klaremont.staff import service_mfa
from klaremont.staff.lookup import find_account
from klaremont.staff.permissions import Role
from klaremont.testing.staff import STAFF_PASSWORD, TEST_ACTOR, make_staff

TOTP_KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # a test account's own key, protects nothing
KLAREMONT = str(Path(sys.executable).parent / "klaremont")


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """What a child process needs to run on this test's databases and key directory."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("KLAREMONT_")},
        "KLAREMONT_ENVIRONMENT": "test",
        "KLAREMONT_VAR_DIR": str(settings.var_dir),
        "KLAREMONT_DATABASE_URL": settings.database_url,
        "KLAREMONT_KEYSTORE_URL": settings.keystore_url,
        "KLAREMONT_LOG_JSON": "true",
        **extra,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{base} did not answer")


@contextmanager
def web_processes(settings: Settings, count: int, workers: int = 0) -> Iterator[list[str]]:
    """``count`` web processes (no embedded job worker) and ``workers`` job workers (every
    job every second) on the same databases; yields the web processes' base URLs."""
    processes: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for _ in range(count):
            port = _free_port()
            serve = [KLAREMONT, "serve", "--no-demo", "--no-worker", "--host", "127.0.0.1"]
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own command
                    [*serve, "--port", str(port)],
                    env=environment(settings),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        every_second = ",".join(f"{job.name}=PT1S" for _, job in capabilities.jobs())
        processes.extend(
            subprocess.Popen(  # noqa: S603 - our own command
                [KLAREMONT, "worker"],
                env=environment(settings, KLAREMONT_JOB_INTERVALS=every_second),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        )
        for base, process in zip(bases, processes, strict=False):
            _wait(base, process)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def live(settings: Settings) -> Iterator[Platform]:
    """This test's platform on the real clock, as the child processes see it."""
    built = Platform.build(settings)
    yield built
    built.dispose()


def _agent(platform: Platform) -> str:
    """A support agent who signs in with a password and an authenticator code."""
    username = make_staff(platform, "sasha", Role.SUPPORT_AGENT)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = find_account(uow, username)
        assert account is not None
        service_mfa.enrol_known_key(uow, account, TOTP_KEY)
    return username


def _login(base: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/auth/login",
        json={"username": username, "password": password, "code": pyotp.TOTP(TOTP_KEY).now()},
        timeout=60,
    )


def _token(base: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/auth/tokens",
        json={
            "username": username,
            "password": STAFF_PASSWORD,
            "code": pyotp.TOTP(TOTP_KEY).now(),
            "name": "two processes",
            "scopes": ["read", "write"],
        },
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _runs_per_slot(platform: Platform) -> dict[tuple[str, datetime], int]:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.execute(
            select(JobRun.job, JobRun.slot_start, func.count()).group_by(
                JobRun.job, JobRun.slot_start
            )
        ).all()
    return {(job, slot): int(n) for job, slot, n in rows}


@pytest.mark.policy("IS-PW-LOCK3")
def test_two_web_processes_and_two_workers_share_one_database(live: Platform) -> None:
    """Two web processes and two job workers on one database. Two failures in one web
    process and one in the other make three: the account locks, and the right password is
    then refused by both. Meanwhile the workers run every job every second, and each
    scheduled run of each job happens exactly once."""
    username = _agent(live)
    with web_processes(live.settings, 2, workers=2) as (first, second):
        for base in (first, first, second):
            assert _login(base, username, "not-the-password-at-all").status_code == 401
        for base in (first, second):
            refused = _login(base, username, STAFF_PASSWORD)
            assert refused.status_code in {401, 423}, refused.text
            assert "csrf_token" not in refused.text
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_runs_per_slot(live)) < 3 * len(
            capabilities.jobs()
        ):
            time.sleep(0.5)
    with live.unit_of_work(actor=TEST_ACTOR) as uow:
        account = find_account(uow, username)
        assert account is not None
        assert account.locked_at is not None
        workers = set(uow.session.scalars(select(JobRun.worker)).all())
    counted = _runs_per_slot(live)
    assert {job for job, _ in counted} == {job.name for _, job in capabilities.jobs()}
    assert set(counted.values()) == {1}  # not one slot run twice
    assert len({worker.rsplit(":", 1)[1] for worker in workers}) <= 2


@pytest.mark.policy("IS-SENS-SAFE", "PP-R-ERASE")
def test_a_person_sealed_in_one_process_is_read_and_erased_through_the_other(
    live: Platform,
) -> None:
    """Created through one web process, read through the other (same keys, from the
    database; two job workers run beside them), never stored in the clear; once the
    person's key is destroyed, the second refuses the read at once (no key cached across
    requests)."""
    username = _agent(live)
    with web_processes(live.settings, 2, workers=2) as (first, second):
        token = _token(first, username)  # issued by one process, honoured by both
        created = httpx.post(
            f"{first}/api/customers",
            headers=token,
            json={
                "name": "Marlowe Quince",
                "email": "marlowe@example.com",
                "channel": "phone_order",
            },
            timeout=60,
        )
        assert created.status_code == 201, created.text
        reference = created.json()["id"]
        read = httpx.get(
            f"{second}/api/customers/{reference}",
            params={"purpose": "support"},
            headers=token,
            timeout=60,
        )
        assert read.status_code == 200, read.text
        assert read.json()["name"] == "Marlowe Quince"
        with live.engine.connect() as conn:
            dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM customers")))
        assert "Marlowe" not in dump
        live.keystore.destroy(uuid.UUID(created.json()["subject_id"]), "erasure")
        gone = httpx.get(
            f"{second}/api/customers/{reference}",
            params={"purpose": "support"},
            headers=token,
            timeout=60,
        )
        assert gone.status_code in {404, 410}, gone.text
        assert "Marlowe" not in gone.text
