"""``klaremont audit``: verify, show and checkpoint, each itself audited."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from audithelp import drop_triggers
from click.testing import Result
from sqlalchemy import select, text
from typer.testing import CliRunner

from klaremont.audit import cli as audit_cli
from klaremont.audit.checkpoints import read_checkpoints
from klaremont.audit.events import Actor, ActorType, Outcome
from klaremont.audit.models import AuditEvent
from klaremont.cards.actions import CardAction
from klaremont.cli.context import use_platform
from klaremont.platform import Platform
from klaremont.staff.actions import StaffAction

Run = Callable[..., Result]
BOB = Actor(ActorType.STAFF, "bob")


@pytest.fixture
def run(platform: Platform) -> Iterator[Run]:
    """Invoke an ``audit`` command against this test's platform."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(audit_cli.app, list(args))
    use_platform(None)


@pytest.fixture
def logged(platform: Platform) -> Platform:
    """A platform whose log holds three sealed events."""
    for action in (StaffAction.AUTH_LOGIN, CardAction.CARD_READ, StaffAction.AUTH_LOGOUT):
        with platform.unit_of_work(actor=BOB, origin="192.0.2.1") as uow:
            uow.audit(action, resource="card/9" if action is CardAction.CARD_READ else None)
    return platform


def _last(platform: Platform, action: str | None = None) -> AuditEvent:
    with platform.unit_of_work() as uow:
        query = select(AuditEvent).order_by(AuditEvent.seq.desc())
        if action is not None:
            query = query.where(AuditEvent.action == action)
        event = uow.session.scalars(query).first()
        assert event is not None
        return event


@pytest.mark.policy("IS-USE-MONITOR")
def test_verify_prints_ok_and_is_audited(logged: Platform, run: Run) -> None:
    """`audit verify` on a sound log prints OK with counts and records audit.verify, success."""
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "3 events" in result.output
    last = _last(logged)
    assert (last.action, last.outcome) == ("audit.verify", "success")
    assert last.details_dict()["ok"] is True


@pytest.mark.policy("IS-USE-MONITOR")
def test_verify_names_the_broken_event_and_exits_1(logged: Platform, run: Run) -> None:
    """`audit verify` on a tampered log names the first broken event and its kind and exits 1."""
    drop_triggers(logged.engine)
    with logged.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET resource = 'card/10' WHERE seq = 2"))
    result = run("verify")
    assert result.exit_code == 1
    assert "BROKEN at event #2: edited" in result.output
    recorded = _last(logged, "audit.verify")
    assert recorded.outcome == Outcome.FAILURE.value
    assert recorded.details_dict()["first_broken"] == 2
    assert _last(logged).action == "incident.iso_alerted"  # the failure raised an incident


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_show_prints_events_and_records_the_read(logged: Platform, run: Run) -> None:
    """`audit show` lists events in a table and records audit.read by the operator."""
    result = run("show", "--actor", "staff:bob")
    assert result.exit_code == 0, result.output
    assert "card.read" in result.output
    assert "auth.logout" in result.output
    last = _last(logged)
    assert last.action == "audit.read"
    assert last.actor_id.startswith("cli:")


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_show_json_filters_by_action_and_time(logged: Platform, run: Run) -> None:
    """`audit show --json --action` prints matching events as JSON, oldest first."""
    result = run("show", "--json", "--action", "auth.login", "--since", "2000-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)
    assert [(e["seq"], e["action"]) for e in events] == [(1, "auth.login")]
    assert events[0]["occurred_at"].endswith("Z")


def test_show_refuses_unknown_action_and_bad_time(logged: Platform, run: Run) -> None:
    """An unknown action tag or an unreadable time is a usage error naming the option."""
    assert "unknown action tag" in run("show", "--action", "no.such").output
    assert "not an ISO 8601 time" in run("show", "--since", "yesterday").output


def test_show_matches_a_bare_actor_id(logged: Platform, run: Run) -> None:
    """`--actor bob` matches the id whatever the actor type."""
    result = run("show", "--json", "--actor", "bob", "--limit", "2")
    assert [e["seq"] for e in json.loads(result.output)] == [2, 3]


def test_checkpoint_seals_the_log_now(logged: Platform, run: Run) -> None:
    """`audit checkpoint` records audit.checkpoint and signs the new end of the log."""
    result = run("checkpoint")
    assert result.exit_code == 0, result.output
    assert "checkpoint: event #4" in result.output
    checkpoints, _ = read_checkpoints(logged.audit.checkpoint_file)
    assert max(c.seq for c in checkpoints) == 4
    assert _last(logged).action == "audit.checkpoint"
