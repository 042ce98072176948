"""Fixtures for the policy tests (helpers live in ``policyhelp``, importable by name)."""

from __future__ import annotations

from typing import Any

import pytest
from policyhelp import shipped_document


@pytest.fixture
def document() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped policy document."""
    return shipped_document()
