"""The action log is append-only in the database, and an entry edited anyway is caught: by its
digest (``klaremont incidents verify``, the live check) and, once its audit event is edited to
match, by the audit chain (``klaremont audit verify``)."""

from __future__ import annotations

import json

import pytest
from incidents_support import REPORT
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from klaremont.audit import cli as audit_cli
from klaremont.audit.ddl import drop_append_only_ddl as drop_audit_triggers
from klaremont.audit.models import AuditEvent
from klaremont.cli.context import use_platform
from klaremont.incidents import checks
from klaremont.incidents import cli as incidents_cli
from klaremont.incidents.ddl import drop_append_only_ddl
from klaremont.incidents.models import IncidentActionEntry


@pytest.fixture
def logged(platform, client) -> str:
    """An incident whose log holds a few entries; returns its reference."""
    iso = client("ivy")
    reference = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    iso.post(f"/api/incidents/{reference}/transition", json={"to": "investigating"})
    iso.post(
        f"/api/incidents/{reference}/actions",
        json={
            "kind": "investigation",
            "text": "Copied the web server's logs to the evidence share.",
        },
    )
    return reference


@pytest.fixture
def run(platform):
    use_platform(platform)
    runner = CliRunner()
    yield lambda app, *args: runner.invoke(app, list(args))
    use_platform(None)


def _execute(platform, statement: str, **params) -> None:
    with platform.engine.begin() as conn:
        conn.execute(text(statement), params)


@pytest.mark.policy("SP-IRP-EVIDENCE")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE incident_actions SET text = 'nothing happened' WHERE number = 3",
        "DELETE FROM incident_actions WHERE number = 3",
    ],
)
def test_the_database_refuses_to_change_an_entry(platform, logged, statement):
    with pytest.raises(DBAPIError, match="incident_actions is append-only"):
        _execute(platform, statement)
    with platform.unit_of_work() as uow:
        entry = uow.session.scalars(
            select(IncidentActionEntry).where(IncidentActionEntry.number == 3)
        ).one()
        assert entry.text.startswith("Copied the web server's logs")


@pytest.mark.policy("SP-IRP-EVIDENCE", "IS-USE-MONITOR")
def test_an_edited_entry_is_caught_by_its_digest_then_by_the_audit_chain(platform, logged, run):
    assert run(incidents_cli.app, "verify").exit_code == 0
    assert checks.action_logs_are_intact(platform).holds
    assert run(audit_cli.app, "verify").exit_code == 0

    # Someone with database access drops the triggers and rewrites entry 3.
    with platform.engine.begin() as conn:
        for statement in drop_append_only_ddl(platform.engine.dialect.name):
            conn.exec_driver_sql(statement)
    _execute(platform, "UPDATE incident_actions SET text = 'Nothing was copied.' WHERE number = 3")
    result = run(incidents_cli.app, "verify")
    assert result.exit_code == 1
    assert f"BROKEN: {logged} entry 3: its content no longer matches its digest" in result.output
    check = checks.action_logs_are_intact(platform)
    assert not check.holds
    assert f"{logged} entry 3" in check.detail

    # They recompute the digest on the row: it no longer matches the one in the audit log...
    with platform.unit_of_work() as uow:
        entry = uow.session.scalars(
            select(IncidentActionEntry).where(IncidentActionEntry.number == 3)
        ).one()
        from klaremont.incidents.log import entry_digest  # noqa: PLC0415 - the attacker's tool

        forged = entry_digest(
            entry.incident_id,
            entry.number,
            entry.kind.value,
            entry.text,
            (entry.actor_type, entry.actor_id),
            entry.recorded_at,
        )
        seq = entry.audit_seq
    _execute(platform, "UPDATE incident_actions SET digest = :d WHERE number = 3", d=forged)
    result = run(incidents_cli.app, "verify")
    assert "its digest differs from the one in the audit log" in result.output

    # ...so they edit the audit event too, and the audit chain breaks there.
    with platform.engine.begin() as conn:
        for statement in drop_audit_triggers(platform.engine.dialect.name):
            conn.exec_driver_sql(statement)
    with platform.unit_of_work() as uow:
        details = uow.session.get(AuditEvent, seq).details_dict()
    details["digest"] = forged
    edited = json.dumps(details, sort_keys=True, separators=(",", ":"))
    _execute(platform, "UPDATE audit_events SET details = :d WHERE seq = :s", d=edited, s=seq)
    assert run(incidents_cli.app, "verify").exit_code == 0  # the side record now agrees...
    audit = run(audit_cli.app, "verify")
    assert audit.exit_code == 1  # ...but the chain does not
    assert f"BROKEN at event #{seq}: edited" in audit.output
