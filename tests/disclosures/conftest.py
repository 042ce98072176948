"""Disclosure fixtures: two seeded customers and staff (a DPO and two directors)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rights"))

import pytest
from disclosures_support import Cast, make_cast
from rights_support import Person, seed_person

from klaremont.platform import Platform


@pytest.fixture
def alice(platform: Platform) -> Person:
    """A customer with orders, invoices, a card and a complaint."""
    return seed_person(platform, "alice")


@pytest.fixture
def bob(platform: Platform) -> Person:
    """Another customer."""
    return seed_person(platform, "bob")


@pytest.fixture
def cast(platform: Platform) -> Cast:
    """A DPO, two directors and a support agent, as actors."""
    return make_cast(platform)
