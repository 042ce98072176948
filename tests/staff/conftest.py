"""Staff fixtures: clients inside and outside the office network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from staff_support import OFFICE, REMOTE, new_client

from klaremont.platform import Platform


@pytest.fixture
def office(platform: Platform) -> Iterator[TestClient]:
    """A client inside the office network."""
    with new_client(platform, OFFICE) as client:
        yield client


@pytest.fixture
def remote(platform: Platform) -> Iterator[TestClient]:
    """A client outside the office network."""
    with new_client(platform, REMOTE) as client:
        yield client
