"""Card fixtures: the customer-store helpers, and a support role that may manage cards.

No role grants ``cards:manage`` yet (phone orders need it: requested from the staff
capability), so :func:`card_manager` adds it to the support agent for the test only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "customers"))

from store_support import guarded_client, make_staff, new_customer

from klaremont.staff.permissions import Role


@pytest.fixture
def web(platform) -> Iterator[TestClient]:
    """An HTTPS client of the app, from the office network, with the card-data guard."""
    with guarded_client(platform) as client:
        yield client


@pytest.fixture
def customer_id(platform):
    """One customer account."""
    return new_customer(platform)


@pytest.fixture
def card_manager(platform):
    """A support agent: the role takes (tokenises) and removes cards on phone orders."""
    return make_staff(platform, "sam", Role.SUPPORT_AGENT)
