"""Live check of IS-USE-MONITOR: the platform watches its own use only while its audit chain
is verified intact every day and a broken chain alerts someone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from klaremont.audit import monitor_checks
from klaremont.audit.events import AuditAction, Outcome
from klaremont.audit.jobs import verify_job
from klaremont.policy.live import REGISTRY, LiveStatus, StaticContext, load_all_checks


def _live(context):
    load_all_checks()
    return REGISTRY.run("IS-USE-MONITOR", context)


@pytest.mark.policy("IS-USE-MONITOR")
def test_monitoring_holds_only_while_the_chain_is_verified_daily(platform, clock):
    """Never verified fails; verified now holds; two days later fails; a failed verification
    fails at once."""
    never = _live(platform)
    assert never.status is LiveStatus.FAILS
    assert never.detail == "the audit chain has never been verified (`klaremont audit verify`)"
    verify_job(platform)
    held = _live(platform)
    assert held.status is LiveStatus.HOLDS, held.detail
    assert "chain verified intact at 2026-03-02 09:30 UTC; a break alerts incidents" in held.detail
    clock.advance(timedelta(days=2))
    stale = _live(platform)
    assert stale.status is LiveStatus.FAILS
    assert "last verified 2026-03-02 09:30 UTC, more than a day ago" in stale.detail
    with platform.unit_of_work() as uow:
        event = uow.audit(
            AuditAction.AUDIT_VERIFY,
            Outcome.FAILURE,
            resource="audit_events",
            details={"ok": False, "via": "job", "first_broken": 3, "kind": "edited"},
        )
        seq = event.seq
    broken = _live(platform)
    assert broken.status is LiveStatus.FAILS
    assert broken.detail == f"the last verification (event #{seq}) found the audit chain broken"


@pytest.mark.policy("IS-USE-MONITOR")
def test_monitoring_fails_when_nobody_is_alerted(platform, monkeypatch):
    """With no subscriber to a broken chain, monitoring fails before the log is read."""
    verify_job(platform)
    monkeypatch.setattr(monitor_checks, "_alerted_by", list)
    outcome = _live(platform)
    assert outcome.status is LiveStatus.FAILS
    assert outcome.detail == "nobody is alerted when the audit chain breaks"


@pytest.mark.policy("IS-USE-MONITOR")
def test_monitoring_without_a_database_is_unknown(platform):
    """No log to read: unknown."""
    static = StaticContext(settings=platform.settings, policy=platform.policy, clock=platform.clock)
    outcome = _live(static)
    assert outcome.status is LiveStatus.UNKNOWN
    assert outcome.detail == "audit log not inspected (no database in this context)"
