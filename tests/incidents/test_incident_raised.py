"""The platform reports incidents itself (SP-REPORT): a failed verification of the audit log,
however it was run, and a burst of staff lockouts each raise an incident for the ISO with the
clock started; while it is open, the same cause adds to it instead of opening another."""

from __future__ import annotations

import pytest
from incidents_support import events, mails
from sqlalchemy import select, text
from typer.testing import CliRunner

from klaremont.audit import cli as audit_cli
from klaremont.audit.ddl import drop_append_only_ddl
from klaremont.audit.jobs import verify_job
from klaremont.cli.context import use_platform
from klaremont.incidents.models import Incident, IncidentActionEntry
from klaremont.staff import lockout


@pytest.fixture
def run(platform):
    use_platform(platform)
    runner = CliRunner()
    yield lambda app, *args: runner.invoke(app, list(args))
    use_platform(None)


def _break_the_audit_log(platform) -> int:
    """Edit one audit event as someone with database access would; returns its number."""
    with platform.engine.begin() as conn:
        for statement in drop_append_only_ddl(platform.engine.dialect.name):
            conn.exec_driver_sql(statement)
        seq = conn.execute(text("SELECT min(seq) FROM audit_events")).scalar_one()
        conn.execute(text("UPDATE audit_events SET resource = 'x' WHERE seq = :s"), {"s": seq})
    return int(seq)


def _incidents(platform) -> list[Incident]:
    with platform.unit_of_work() as uow:
        found = list(uow.session.scalars(select(Incident).order_by(Incident.number)))
        uow.session.expunge_all()
    return found


def _log(platform, incident: Incident) -> list[str]:
    with platform.unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(IncidentActionEntry.text)
                .where(IncidentActionEntry.incident_id == incident.id)
                .order_by(IncidentActionEntry.number)
            )
        )


@pytest.mark.policy("SP-REPORT")
def test_a_failed_audit_verification_raises_one_incident_for_the_iso(platform, people, run):
    del people
    assert run(audit_cli.app, "verify").exit_code == 0
    assert verify_job(platform).startswith("audit log intact")
    assert _incidents(platform) == []  # an intact log raises nothing

    seq = _break_the_audit_log(platform)
    assert run(audit_cli.app, "verify").exit_code == 1
    [raised] = _incidents(platform)
    assert raised.kind.value == "system_compromise"
    assert (raised.reporter_type, raised.reporter_id) == ("system", "platform:audit-verify")
    assert raised.reporter_name == "Klaremont platform"
    assert f"first break is at event #{seq}" in raised.summary
    assert raised.aware_at is not None
    assert [subject for _, subject, _ in mails(platform)] == [
        f"Security incident reported: {raised.reference}"
    ]
    verified = [e.details_dict() for e in events(platform, "audit.verify")]
    assert [(d["ok"], d["via"]) for d in verified] == [
        (True, "command"),
        (True, "job"),
        (False, "command"),
    ]

    # the nightly job finds it again: noted on the open incident, not a second one
    assert "broken at event" in verify_job(platform)
    assert [i.reference for i in _incidents(platform)] == [raised.reference]
    assert "failed verification again (job)" in _log(platform, raised)[-1]


@pytest.mark.policy("SP-REPORT")
def test_a_verification_through_the_api_raises_it_too(platform, client):
    _break_the_audit_log(platform)
    answer = client("ivy").post("/api/audit/verify")
    assert answer.status_code == 200
    assert answer.json()["ok"] is False
    [raised] = _incidents(platform)
    assert "(api)" in raised.summary


@pytest.mark.policy("SP-REPORT")
def test_a_burst_of_lockouts_raises_an_incident(platform, people):
    del people
    with platform.unit_of_work() as uow:
        lockout.raise_burst_alert(uow, 12)
    [raised] = _incidents(platform)
    assert raised.reporter_id == "platform:lockout-burst"
    assert raised.personal_data.value == "no"
    assert "12 staff sign-in locks happened within" in raised.summary
    with platform.unit_of_work() as uow:
        lockout.raise_burst_alert(uow, 15)
    assert len(_incidents(platform)) == 1
    assert "Another burst: 15 staff sign-in locks" in _log(platform, raised)[-1]
