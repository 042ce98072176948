"""IS-SENS-DEV's live check reads the running data store: a column no rule covers fails it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from klaremont.policy.live import StaticContext
from klaremont.sanitize import checks


@pytest.mark.policy("IS-SENS-DEV")
def test_a_column_added_without_a_rule_fails_the_check_by_name(platform):
    found = checks.every_column_has_a_sanitising_rule(platform)
    assert found.holds, found.detail
    assert "0 verified development copies" in found.detail
    assert found.records == ()  # no development copy made yet
    with platform.engine.begin() as conn:
        conn.execute(text("ALTER TABLE customers ADD COLUMN nickname VARCHAR(40)"))
        conn.execute(text("CREATE TABLE side_notes (id INTEGER PRIMARY KEY, body TEXT)"))
    broken = checks.every_column_has_a_sanitising_rule(platform)
    assert not broken.holds
    assert "customers.nickname" in broken.detail
    assert "side_notes" in broken.detail


@pytest.mark.policy("IS-SENS-DEV")
def test_without_a_database_the_check_says_it_could_not_look(platform):
    context = StaticContext(platform.settings, platform.policy, platform.clock)
    result = checks.every_column_has_a_sanitising_rule(context)
    assert result.unknown
    assert not result.holds
    assert "not inspected" in result.detail
