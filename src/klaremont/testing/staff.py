"""Staff test fixtures shared by the capability test suites: accounts and signed-in clients.

Kept in the package (beside the pytest marker plugin) so every ``tests/<capability>/``
helper module uses one definition instead of its own copy.
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
from typing import TYPE_CHECKING

from klaremont.audit.events import Actor, ActorType
from klaremont.staff import service_accounts

if TYPE_CHECKING:
    from starlette.testclient import TestClient

    from klaremont.platform import Platform
    from klaremont.staff.permissions import Role

STAFF_PASSWORD = "violet-harbour-quietly-9-ferns"  # noqa: S105 - a test account's password
TEST_ACTOR = Actor(ActorType.SYSTEM, "test")
OFFICE_CLIENT = ("127.0.0.1", 50000)  # inside the default office networks


def make_staff(platform: Platform, username: str, role: Role) -> str:
    """A vetted staff account with a known password and one job role; returns the username."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username=username,
                full_name=f"{username.title()} Tester",
                work_email=f"{username}@klaremont.example",
                job_role=role,
                password=STAFF_PASSWORD,
                vetted_on=date(2025, 1, 6),
            ),
            created_by="test",
        )
    return username


def sign_in(client: TestClient, username: str) -> str:
    """Sign ``username`` in through the API on ``client``; returns the anti-forgery token."""
    response = client.post(
        "/api/auth/login", json={"username": username, "password": STAFF_PASSWORD}
    )
    if response.status_code != HTTPStatus.OK:
        msg = f"staff sign-in failed: {response.status_code} {response.text}"
        raise AssertionError(msg)
    token: str = response.json()["csrf_token"]
    return token


def staff_client(platform: Platform, username: str) -> TestClient:
    """An office-network HTTPS client signed in as ``username``, with its CSRF header set."""
    from starlette.testclient import TestClient  # noqa: PLC0415 - test dependency only

    from klaremont.web.app import create_app  # noqa: PLC0415 - the web app loads late

    client = TestClient(create_app(platform), base_url="https://testserver", client=OFFICE_CLIENT)
    client.headers["X-CSRF-Token"] = sign_in(client, username)
    return client
