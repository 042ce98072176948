"""Rights fixtures: two seeded people (the second is the IDOR intruder) on the real database."""

from __future__ import annotations

import pytest
from rights_support import Person, seed_person

from klaremont.platform import Platform


@pytest.fixture
def alice(platform: Platform) -> Person:
    """A customer with orders, invoices, a card and a complaint."""
    return seed_person(platform, "alice")


@pytest.fixture
def bob(platform: Platform) -> Person:
    """Another customer, whose data must never show up in Alice's answers."""
    return seed_person(platform, "bob")
