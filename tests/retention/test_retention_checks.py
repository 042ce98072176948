"""The retention live checks hold on a system that runs its schedule, and fail when data
is overdue, when no run finished in 90 days, or when a purged person keeps a key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from retention_support import TEST_ACTOR, YEAR, seed_aged
from sqlalchemy import select

from klaremont.platform import Platform
from klaremont.retention import apply, checks, engine
from klaremont.retention.models import ShredQueue
from klaremont.retention_targets import all_targets


@pytest.mark.policy("PP-KEEP")
def test_nothing_overdue_fails_until_the_run(platform: Platform) -> None:
    assert checks.nothing_is_overdue(platform).holds
    seed_aged(platform, "late", idle=4 * YEAR)
    found = checks.nothing_is_overdue(platform)
    assert not found.holds
    assert "customers.addresses" in found.detail
    engine.run(platform)
    assert checks.nothing_is_overdue(platform).holds


@pytest.mark.policy("DP-RETAIN")
def test_a_run_must_have_finished_within_90_days(platform: Platform) -> None:
    found = checks.retention_runs_regularly(platform)
    assert not found.holds
    engine.run(platform)
    assert checks.retention_runs_regularly(platform).holds
    platform.clock.advance(timedelta(days=91))
    late = checks.retention_runs_regularly(platform)
    assert not late.holds
    assert "90 days" in late.detail


def _wipe_sealed_rows(platform: Platform, subject_id: object) -> None:
    """Delete a person's sealed rows and clear their sealed fields behind the engine's back
    (as a run whose key destruction was then lost would leave them)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for target in all_targets():
            if not target.sealed or target.subject != "subject_id":
                continue
            query = select(target.pk).where(target.table.c.subject_id == subject_id)
            apply.apply(uow, target, "delete", list(uow.session.scalars(query)))


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_a_purged_person_with_a_live_key_fails_the_check(platform: Platform) -> None:
    person = seed_aged(platform, "keyed", idle=YEAR)
    platform.keystore.create_subject_key(person.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        uow.session.add(ShredQueue(subject_id=person.subject_id, queued_at=uow.clock.now()))
    assert checks.purged_people_have_no_key(platform).holds  # their data still needs the key
    _wipe_sealed_rows(platform, person.subject_id)
    found = checks.purged_people_have_no_key(platform)
    assert not found.holds
    assert "1 people's data is purged but their data key is not destroyed" in found.detail
    engine.run(platform)  # the run destroys what the queue says nothing needs
    assert platform.keystore.is_destroyed(person.subject_id)
    assert checks.purged_people_have_no_key(platform).holds
