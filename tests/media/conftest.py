"""Media fixtures: staff accounts (an ISO, a second ISO, technical operations), actors for
each and a few items."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from media_support import new_item
from typer.testing import CliRunner

from klaremont.audit.events import Actor, ActorType
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.media import service
from klaremont.platform import Platform
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

PEOPLE = {
    "iris": Role.ISO,
    "ian": Role.ISO,
    "tess": Role.TECHNICAL_OPERATIONS,
    "dina": Role.DPO,
    "sal": Role.SUPPORT_AGENT,
}


@pytest.fixture
def staff(platform: Platform) -> dict[str, Actor]:
    """An account for each person, and the actor each acts as."""
    return {
        name: Actor(ActorType.STAFF, make_staff(platform, name, role), name)
        for name, role in PEOPLE.items()
    }


@pytest.fixture
def item(platform: Platform, staff: dict[str, Actor]) -> str:
    """A laptop in the inventory; its label."""
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        return service.register(uow, new_item()).label


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
