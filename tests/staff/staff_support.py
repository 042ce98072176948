"""Staff test helpers: accounts with known passwords, office and remote clients, logins."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from fastapi.testclient import TestClient

from klaremont.audit.events import Actor, ActorType
from klaremont.clock import ManualClock
from klaremont.platform import Platform
from klaremont.staff import service_accounts
from klaremont.staff.hashing import hashing_for
from klaremont.staff.permissions import Role
from klaremont.staff.service_authn import Channel, Credentials, authenticate
from klaremont.web.app import create_app

# Demo-grade passwords that pass the policy's strength rules (length, zxcvbn 3, blocklist).
PASSWORD = "violet-harbour-quietly-9-ferns"
NEW_PASSWORD = "copper-meadow-lantern-47-owls"
OTHER_PASSWORD = "saffron-glacier-mosaic-83-kites"
OFFICE = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.9", 50000)


@dataclass(frozen=True)
class Staff:
    """A test staff member."""

    id: uuid.UUID
    username: str
    password: str


def make_staff(
    platform: Platform,
    username: str,
    role: Role = Role.SUPPORT_AGENT,
    *,
    password: str = PASSWORD,
    vetted: bool = True,
    manager: uuid.UUID | None = None,
    extra_roles: tuple[Role, ...] = (),
) -> Staff:
    """Create an account with a known password (not a one-time one) and its job role."""
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "test")) as uow:
        created = service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username=username,
                full_name=f"{username.title()} Tester",
                work_email=f"{username}@klaremont.example",
                job_role=role,
                line_manager_id=manager,
                password=password,
                vetted_on=date(2025, 1, 6) if vetted else None,
            ),
            created_by="test",
        )
        for extra in extra_roles:
            service_accounts.grant_role(uow, created.account.id, extra, granted_by="test")
        return Staff(created.account.id, created.account.username, password)


def new_client(platform: Platform, where: tuple[str, int] = OFFICE) -> TestClient:
    """An HTTPS test client whose requests come from ``where``."""
    return TestClient(create_app(platform), base_url="https://testserver", client=where)


def login(
    client: TestClient, staff: Staff, *, password: str | None = None, code: str | None = None
):
    """POST /api/auth/login; returns the response (the cookie stays in the client)."""
    body = {"username": staff.username, "password": password or staff.password}
    if code is not None:
        body["code"] = code
    return client.post("/api/auth/login", json=body)


def signed_in(client: TestClient, staff: Staff, **kwargs) -> dict[str, str]:
    """Log in and return the anti-forgery header for later unsafe requests."""
    response = login(client, staff, **kwargs)
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def wrong_login_worker(settings, username, attempts, start, sync) -> None:
    """Child process: its own platform and engine; ``attempts`` wrong logins in parallel threads.

    ``sync`` is ``(barrier, results)``; puts ``(password evaluations, successful logins)``
    on ``results``.
    """
    barrier, results = sync
    platform = Platform.build(settings, clock=ManualClock(start))
    try:
        hashing = hashing_for(platform)

        def attempt(_: int) -> bool:
            with platform.unit_of_work(origin="127.0.0.1") as uow:
                return authenticate(uow, Credentials(username, WRONG_PASSWORD), Channel.API).ok

        barrier.wait(timeout=120)
        with ThreadPoolExecutor(attempts) as pool:
            successes = sum(pool.map(attempt, range(attempts)))
        results.put((hashing.evaluations, successes))
    finally:
        platform.dispose()


WRONG_PASSWORD = "definitely-not-the-right-one"
