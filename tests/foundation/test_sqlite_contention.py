"""Concurrent requests on a real multi-threaded server never freeze the embedded default.

A staff write (``POST /api/staff``, which hashes a one-time password) released together
with a privacy-centre sign-in (which verifies an Argon2 hash) used to freeze the server:
the sign-in ran its database work on the event loop, waited there for the write lock the
staff request held, and the staff request could not finish without the event loop. After
the busy timeout the sign-in got a 500 and ``/health`` had waited all along. These tests
run the real app under uvicorn in a thread, with real HTTP clients in real threads, and
assert every answer (no 5xx, each request answered with its proper status).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend_support import BACKEND
from klaremont.audit.events import Actor, ActorType
from klaremont.clock import ManualClock
from klaremont.config import Settings
from klaremont.customers.models import CollectionChannel, Customer
from klaremont.db import engine as engine_module
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.policy.model import SecondFactorPolicy
from klaremont.policy.purposes import LawfulBasis
from klaremont.staff import service_accounts
from klaremont.staff.hashing import hashing_for
from klaremont.staff.permissions import Role
from klaremont.testing.live import live_server
from klaremont.testing.staff import STAFF_PASSWORD
from klaremont.web.app import create_app
from klaremont.web.deps import UowDep, committed

CUSTOMER_PASSWORD = "plum-orchard-whistle-58"
ROUNDS = 4
_CSRF = 'name="csrf_token" value="'


def _make_iso(platform: Platform) -> None:
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "test")) as uow:
        service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username="ivy",
                full_name="Ivy Tester",
                work_email="ivy@klaremont.example",
                job_role=Role.ISO,
                password=STAFF_PASSWORD,
                vetted_on=date(2025, 1, 6),
            ),
            created_by="test",
        )


def _make_customer(platform: Platform, email: str) -> None:
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "test")) as uow:
        now = uow.clock.now()
        subject = Subject(created_at=now)
        uow.session.add(subject)
        uow.session.flush()
        customer = Customer(
            subject_id=subject.id,
            reference=f"C{abs(hash(email)) % 10_000_000:07d}",
            password_hash=hashing_for(platform).hash(CUSTOMER_PASSWORD),
            created_at=now,
            updated_at=now,
            channel=CollectionChannel.ACCOUNT_CREATION,
            collected_at=now,
            lawful_basis=LawfulBasis.CONTRACT,
        )
        customer.name = "Ada Lovelace"
        customer.email = email
        uow.session.add(customer)


def _staff_client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    response = client.post("/api/auth/login", json={"username": "ivy", "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    # the session cookie is Secure; this plain-HTTP test server gets it as a header
    client.headers["Cookie"] = f"klaremont_staff={response.cookies['klaremont_staff']}"
    return client


def _sign_in(base: str, email: str) -> Callable[[], int]:
    """A privacy-centre sign-in, prepared (form token fetched) and ready to post."""
    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/privacy/sign-in").text
    token = page.split(_CSRF, 1)[1].split('"', 1)[0]

    def post() -> int:
        try:
            response = client.post(
                "/privacy/sign-in",
                data={"email": email, "password": CUSTOMER_PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
        finally:
            client.close()
        return response.status_code

    return post


def _create_staff(client: httpx.Client, n: int) -> Callable[[], int]:
    def post() -> int:
        response = client.post(
            "/api/staff",
            json={
                "username": f"newhire{n}",
                "full_name": f"New Hire {n}",
                "work_email": f"newhire{n}@klaremont.example",
                "job_role": "support_agent",
                "vetted_on": "2025-01-06",
            },
        )
        return response.status_code

    return post


def _together(*calls: Callable[[], int]) -> list[int]:
    """Release every call at the same moment, each in its own thread; their statuses."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], int]) -> int:
        gate.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def served(platform: Platform) -> Iterator[dict[str, Any]]:
    _make_iso(platform)
    _make_customer(platform, "ada@example.com")
    with live_server(platform) as base:
        staff = _staff_client(base)
        try:
            yield {"base": base, "staff": staff}
        finally:
            staff.close()


def test_staff_write_and_customer_sign_in_together_both_answer(served: dict[str, Any]) -> None:
    """The issue's scenario, several rounds: the staff account is created (201) and the
    customer is signed in (303) every time; nothing answers 5xx."""
    base, staff = served["base"], served["staff"]
    for n in range(ROUNDS):
        sign_in = _sign_in(base, "ada@example.com")
        created, signed_in = _together(_create_staff(staff, n), sign_in)
        assert (created, signed_in) == (201, 303), f"round {n}"


def test_health_answers_while_staff_writes_and_sign_ins_are_in_flight(
    served: dict[str, Any],
) -> None:
    """``/health`` sent with a staff write and a sign-in answers 200 (it takes no write
    lock and is never queued behind one), and the other two still succeed."""
    base, staff = served["base"], served["staff"]
    with httpx.Client(base_url=base, timeout=120) as health:
        for n in range(ROUNDS):
            sign_in = _sign_in(base, "ada@example.com")
            statuses = _together(
                _create_staff(staff, n),
                sign_in,
                lambda: health.get("/health").status_code,
            )
            assert statuses == [201, 303, 200], f"round {n}"


@pytest.mark.skipif(
    BACKEND != "sqlite",
    reason="holds SQLite's database-wide write lock from another connection; PostgreSQL locks rows",
)
def test_a_lock_wait_that_times_out_answers_503_and_writes_nothing(
    settings: Settings, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the write lock past the busy timeout: the staff write gets 503
    problem+json with Retry-After (never 500), nothing of it is saved, and ``/health``
    still answers 200 meanwhile (it takes no write lock)."""
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    platform = Platform.build(settings, clock=clock)
    platform.policy = platform.policy.model_copy(  # the ISO signs in with a password alone
        update={"second_factor": SecondFactorPolicy(required_for_privileged=False)}
    )
    try:
        _make_iso(platform)
        with live_server(platform) as base:
            staff = _staff_client(base)
            path = settings.database_url.removeprefix("sqlite:///")
            holder = sqlite3.connect(path, isolation_level=None)
            try:
                holder.execute("BEGIN IMMEDIATE")
                response = _create_staff(staff, 1)()
                body = staff.post(
                    "/api/staff",
                    json={
                        "username": "newhire2",
                        "full_name": "New Hire",
                        "work_email": "newhire2@klaremont.example",
                        "job_role": "support_agent",
                    },
                )
                health = httpx.get(f"{base}/health", timeout=30)
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            assert response == 503
            assert body.status_code == 503
            assert body.headers["retry-after"] == "1"
            assert body.headers["content-type"].startswith("application/problem+json")
            assert body.json()["type"].endswith("/busy")
            assert health.status_code == 200
            listed = staff.get("/api/staff").json()
            assert not {"newhire1", "newhire2"} & {row["username"] for row in listed}
            staff.close()
    finally:
        platform.dispose()


def test_database_work_on_the_event_loop_is_refused(platform: Platform) -> None:
    """The class of the freeze: an ``async def`` route running a statement on the event
    loop fails at once (``BlockingOnEventLoop``) instead of blocking the server; the same
    statement in the thread pool runs."""
    app = create_app(platform)

    @app.get("/test/on-the-loop")
    async def on_the_loop(uow: UowDep) -> dict[str, int]:
        return {"one": uow.session.execute(text("SELECT 1")).scalar_one()}

    @app.get("/test/in-the-pool")
    async def in_the_pool(uow: UowDep) -> dict[str, int]:
        return {
            "one": await committed(uow, lambda: uow.session.execute(text("SELECT 1")).scalar_one())
        }

    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/test/in-the-pool").json() == {"one": 1}
        refused = client.get("/test/on-the-loop")  # answered (problem+json), never blocked
        assert refused.status_code == 500
        assert refused.headers["content-type"].startswith("application/problem+json")
