"""Incident fixtures: the people of the exercise with accounts and a staff directory
plugged in, and signed-in clients by username."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from incidents_support import directory, make_people

from klaremont.platform import Platform
from klaremont.testing.staff import staff_client


@pytest.fixture
def people(platform: Platform) -> Iterator[None]:
    """Accounts for everyone, and the directory listing them."""
    make_people(platform)
    with directory():
        yield


@pytest.fixture
def client(platform: Platform, people: None) -> Iterator[Callable[[str], TestClient]]:
    """A signed-in client for a username (made on first use)."""
    del people
    made: dict[str, TestClient] = {}

    def signed_in(username: str) -> TestClient:
        if username not in made:
            made[username] = staff_client(platform, username).__enter__()
        return made[username]

    yield signed_in
    for one in made.values():
        one.__exit__(None, None, None)
