"""Processor fixtures: the demo-shaped register seeded through the services."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from processors_support import DPO

from klaremont.platform import Platform
from klaremont.processors import demo_data, service

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rights"))


@pytest.fixture
def register(platform: Platform) -> Platform:
    """The five demo processors and six systems (no staff needed)."""
    with platform.unit_of_work(actor=DPO) as uow:
        today = uow.clock.now().date()
        for new in demo_data._processors(today):
            service.add(uow, new)
        for system in demo_data._systems():
            service.add_system(uow, system)
    return platform
