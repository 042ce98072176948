"""The compliance view's tests: a person able to make a data-subject request, and staff of
every role that matters here, signed in."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rights"))

from compliance_support import PEOPLE

from klaremont.testing.staff import make_staff, staff_client

if TYPE_CHECKING:
    from starlette.testclient import TestClient

    from klaremont.platform import Platform


@pytest.fixture
def signed_in(platform: Platform) -> Iterator[Callable[[str], TestClient]]:
    """``signed_in("dave")``: a client signed in as that person (made on first use)."""
    made: dict[str, TestClient] = {}

    def client(username: str) -> TestClient:
        if username not in made:
            make_staff(platform, username, PEOPLE[username])
            made[username] = staff_client(platform, username).__enter__()
        return made[username]

    yield client
    for one in made.values():
        one.__exit__(None, None, None)
