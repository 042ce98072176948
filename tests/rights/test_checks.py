"""Live checks: overdue requests and overdue key destruction show up as failing clauses
(DP-PROMPT, DP-DPO, IS-SENS-DISPOSE)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rights_support import TEST_ACTOR, seed_person

from klaremont.policy.live import load_all_checks
from klaremont.rights import checks, erasure, intake
from klaremont.rights.states import RequestKind


@pytest.mark.policy("DP-PROMPT", "DP-DPO")
def test_overdue_request_fails_the_live_check(platform, clock, alice):
    """No request: holds; a request past its month: fails, naming it."""
    assert "klaremont.rights.checks" in load_all_checks().loaded
    assert checks.no_request_overdue(platform).holds
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
    clock.advance(timedelta(days=33))
    result = checks.no_request_overdue(platform)
    assert not result.holds
    assert made.reference in result.detail


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_a_key_past_its_shred_date_fails_the_live_check(platform, clock):
    """An erased person whose key should be gone fails the check until shred-due runs."""
    old = seed_person(platform, "old", invoice_age=timedelta(days=7 * 365))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, old.identity, RequestKind.ERASURE)
        erasure.erase(uow, made.id)
    assert checks.erased_keys_destroyed_when_due(platform).holds
    clock.advance(erasure.NOTICE_GRACE + timedelta(minutes=1))
    assert not checks.erased_keys_destroyed_when_due(platform).holds
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        erasure.shred_due(uow)
    assert checks.erased_keys_destroyed_when_due(platform).holds
