"""Each incident clause's live check holds on sound records and fails, saying why, when the
records show the clause broken."""

from __future__ import annotations

from datetime import timedelta

import pytest
from incidents_support import PEOPLE, REPORT, TEAM, directory, member
from sqlalchemy import select, text

from klaremont.incidents import checks
from klaremont.incidents.models import IncidentNotification
from klaremont.incidents.states import Decision, Recipient
from klaremont.policy.live import StaticContext


def _state(platform, reference: str, state: str) -> None:
    with platform.engine.begin() as conn:
        conn.execute(
            text("UPDATE incidents SET state = :s WHERE reference = :r"),
            {"s": state, "r": reference},
        )


@pytest.mark.policy("SP-REPORT")
def test_sp_report_fails_when_no_iso_was_reached(platform, client):
    client("sue").post("/api/incidents", json=REPORT)
    assert checks.every_report_alerted_the_iso(platform).holds
    with platform.engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET iso_alert_messages = 0"))
    failed = checks.every_report_alerted_the_iso(platform)
    assert not failed.holds
    assert "INC-2026-0001" in failed.detail
    assert failed.records == (("INC-2026-0001", "/staff/incidents/INC-2026-0001"),)


@pytest.mark.policy("SP-IRP-INVESTIGATE", "SP-IRP-LOSS")
def test_sp_irp_investigate_fails_when_a_report_waits_a_day(platform, client, clock):
    reference = (
        client("sue")
        .post("/api/incidents", json=REPORT | {"kind": "loss_or_theft"})
        .json()["reference"]
    )
    assert checks.reports_are_investigated(platform).holds
    assert "1 on record, each alerted" in checks.loss_and_theft_are_reported(platform).detail
    with platform.engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET iso_alert_messages = 0"))
    silent = checks.loss_and_theft_are_reported(platform)
    assert not silent.holds
    assert reference in silent.detail
    assert [url for _, url in silent.records] == [f"/staff/incidents/{reference}"]
    with platform.engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET iso_alert_messages = 1"))
    clock.advance(timedelta(hours=25))
    assert not checks.reports_are_investigated(platform).holds
    _state(platform, reference, "investigating")
    assert checks.reports_are_investigated(platform).holds


@pytest.mark.policy("SP-IRP-CONTAIN", "SP-IRT-MEMBERS")
def test_containment_and_team_checks(platform, client):
    iso = client("ivy")
    reference = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    _state(platform, reference, "contained")  # skipped the service: no team, no containment
    assert not checks.contained_incidents_logged_containment(platform).holds
    team = checks.activated_teams_are_complete(platform)
    assert not team.holds
    assert reference in team.detail
    _state(platform, reference, "investigating")
    iso.post(f"/api/incidents/{reference}/team", json={"seats": TEAM})
    iso.post(
        f"/api/incidents/{reference}/actions",
        json={"kind": "containment", "text": "Server unplugged from the network."},
    )
    iso.post(f"/api/incidents/{reference}/transition", json={"to": "contained"})
    assert checks.contained_incidents_logged_containment(platform).holds
    assert checks.activated_teams_are_complete(platform).holds


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_sp_irp_notify_fails_on_a_missed_ico_deadline_without_reason(platform, client, clock):
    reference = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    assert checks.no_ico_deadline_missed_without_reason(platform).holds
    clock.advance(timedelta(hours=73))
    failed = checks.no_ico_deadline_missed_without_reason(platform)
    assert not failed.holds
    assert reference in failed.detail
    with platform.unit_of_work() as uow:  # recorded as sent late, with its reason
        row = uow.session.scalars(
            select(IncidentNotification).where(IncidentNotification.recipient == Recipient.ICO)
        ).one()
        row.decision, row.sent_at = Decision.SENT, row.due_at + timedelta(hours=1)
        row.late_reason = "The logs took days to recover."
    assert checks.no_ico_deadline_missed_without_reason(platform).holds


@pytest.mark.policy("SP-ISO", "SP-IRT")
def test_the_directory_checks(platform):
    assert not checks.an_iso_is_appointed(platform).holds  # nobody works here yet
    assert "no one on the staff can fill" in checks.a_team_can_be_deployed(platform).detail
    with directory([member(n) for n in PEOPLE if n != "dev"]):
        assert checks.an_iso_is_appointed(platform).holds
        short = checks.a_team_can_be_deployed(platform)
        assert not short.holds
        assert "Development manager (or the most senior developer available)" in short.detail
    with directory():
        assert checks.a_team_can_be_deployed(platform).holds


def test_without_a_database_the_checks_cannot_tell_and_say_so(platform):
    static = StaticContext(platform.settings, platform.policy, platform.clock)
    for check in (
        checks.every_report_alerted_the_iso,
        checks.action_logs_are_intact,
        checks.an_iso_is_appointed,
    ):
        result = check(static)
        assert (result.holds, result.unknown) == (False, True)
        assert result.detail == checks.NO_DATABASE
