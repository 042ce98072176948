"""Property tests: the lockout state machine against a model of the policy (IS-PW-LOCK3)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from staff_support import PASSWORD, make_staff

from klaremont.staff import service_lifecycle
from klaremont.staff.hashing import hashing_for
from klaremont.staff.models import StaffAccount
from klaremont.staff.service_authn import Channel, Credentials, authenticate

_names = itertools.count()
STEPS = st.lists(st.sampled_from(["wrong", "right", "unlock"]), min_size=1, max_size=9)


@pytest.mark.policy("IS-PW-LOCK3")
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_lockout_matches_the_model(platform, steps):
    """Any sequence of wrong, right and unlock steps: the account locks exactly on the third
    consecutive failure, a locked account never lets anyone in nor evaluates a password,
    a success resets the count, and an unlock reopens it.
    """
    staff = make_staff(platform, f"prop{next(_names)}")
    hashing = hashing_for(platform)
    failures, locked = 0, False
    for step in steps:
        before = hashing.evaluations
        with platform.unit_of_work() as uow:
            if step == "unlock":
                service_lifecycle.unlock_account(uow, staff.id, by="test")
                failures, locked = 0, False
                continue
            password = PASSWORD if step == "right" else "wrong-" + PASSWORD
            result = authenticate(uow, Credentials(staff.username, password), Channel.API)
        evaluated = hashing.evaluations - before
        if locked:
            assert not result.ok
            assert evaluated == 0
        elif step == "right":
            assert result.ok
            assert evaluated == 1
            failures = 0
        else:
            assert not result.ok
            assert evaluated == 1
            failures += 1
            locked = failures == 3
        with platform.unit_of_work() as uow:
            account = uow.session.get(StaffAccount, staff.id)
            assert (account.locked_at is not None) == locked
            assert account.failed_attempts == failures
