"""Customer-store fixtures: a client with the card-data guard, staff of each job, a customer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from store_support import guarded_client, make_staff, new_customer

from klaremont.staff.permissions import Role


@pytest.fixture
def web(platform) -> Iterator[TestClient]:
    """An HTTPS client of the app, from the office network, with the card-data guard."""
    with guarded_client(platform) as client:
        yield client


@pytest.fixture
def customer_id(platform):
    """One customer account with contact details and two addresses."""
    return new_customer(platform)


@pytest.fixture
def staff(platform):
    """One staff member per job that reads customer data, by role."""
    return {
        role: make_staff(platform, role.value.replace("_", "-"), role)
        for role in (Role.SUPPORT_AGENT, Role.MARKETING, Role.FINANCE, Role.DPO)
    }
