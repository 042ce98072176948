"""Every job-worker test starts with the throwaway jobs' call log empty."""

from __future__ import annotations

import pytest
from jobs_support import CALLS, GATE


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()
    GATE.clear()
    yield
    GATE.set()
