"""Accuracy fixtures: customers of different ages on the real database, and signed-in staff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from accuracy_support import Person, make_staff, seed_customer, staff_client
from fastapi.testclient import TestClient

from klaremont.platform import Platform
from klaremont.staff.permissions import Role


@pytest.fixture
def alice(platform: Platform) -> Person:
    """A customer who joined today."""
    return seed_customer(platform, "alice")


@pytest.fixture
def bob(platform: Platform) -> Person:
    """Another customer, who joined three years ago and ordered last month."""
    return seed_customer(platform, "bob", age=timedelta(days=3 * 365), order_age=timedelta(days=30))


@pytest.fixture
def dpo(platform: Platform) -> Iterator[TestClient]:
    """A signed-in Data Protection Officer."""
    make_staff(platform, "dpo", Role.DPO)
    with staff_client(platform, "dpo") as client:
        yield client


@pytest.fixture
def agent(platform: Platform) -> Iterator[TestClient]:
    """A signed-in support agent."""
    make_staff(platform, "agent", Role.SUPPORT_AGENT)
    with staff_client(platform, "agent") as client:
        yield client
