"""Policy document fixtures: one account per role that matters, actors, a signed-in client
per person, the ``klaremont`` command, and the documents published."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from klaremont.audit.events import Actor, ActorType
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.platform import Platform
from klaremont.policydocs import library, service
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

PEOPLE = {
    "dina": Role.DPO,
    "iris": Role.ISO,
    "sal": Role.SUPPORT_AGENT,
    "eve": Role.ENGINEER,
    "fred": Role.FINANCE,
    "dora": Role.DIRECTOR,
}


@pytest.fixture
def staff(platform: Platform) -> dict[str, Actor]:
    """An account for each person, and the actor each acts as."""
    return {
        name: Actor(ActorType.STAFF, make_staff(platform, name, role), name)
        for name, role in PEOPLE.items()
    }


@pytest.fixture
def published(platform: Platform, staff: dict[str, Actor]) -> list[str]:
    """Every document published today as version 2026.1 by the DPO."""
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        for key in library.DOCUMENT_KEYS:
            service.publish(uow, key, "2026.1", by="dina")
    return list(library.DOCUMENT_KEYS)


@pytest.fixture
def run(platform: Platform) -> Iterator[Callable[..., object]]:
    """Invoke ``klaremont ...`` against the test platform."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(main.app, list(args))
    use_platform(None)


@pytest.fixture
def client(platform: Platform, staff: dict[str, Actor]) -> Iterator[Callable[[str], TestClient]]:
    """A signed-in client for a username of :data:`PEOPLE`."""
    del staff
    made: dict[str, TestClient] = {}

    def signed_in(username: str) -> TestClient:
        if username not in made:
            made[username] = staff_client(platform, username).__enter__()
        return made[username]

    yield signed_in
    for one in made.values():
        one.__exit__(None, None, None)
