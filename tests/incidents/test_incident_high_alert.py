"""High alert (SP-IRP-EVIDENCE): while an incident is open, a read of an affected customer's
personal data makes an automatic action-log entry and mails the incident's team (the
account reference only, never a personal value); another customer's read does not; after
the close nothing is raised."""

from __future__ import annotations

import pytest
from affected_support import case_with, shopper
from incidents_support import REPORT, TEAM, events, mails

from klaremont.incidents import service as incidents
from klaremont.incidents.states import IncidentState
from klaremont.incidents.visibility import Viewer

READ = {"purpose": "support"}


def _alert_mails(platform, reference):
    return [m for m in mails(platform) if m[1] == f"High alert on incident {reference}"]


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_a_read_of_an_affected_customer_alerts_the_team(platform, client):
    held, other = shopper(platform, "watched"), shopper(platform, "other")
    reference = case_with(client, held)
    support = client("sue")
    assert support.get(f"/api/customers/{other.reference}", params=READ).status_code == 200
    assert _alert_mails(platform, reference) == []
    assert events(platform, "incident.high_alert") == []

    answer = support.get(f"/api/customers/{held.reference}", params=READ)
    assert answer.status_code == 200, answer.text
    sent = _alert_mails(platform, reference)
    assert sorted(to.split("@")[0] for to, _, _ in sent) == sorted(TEAM.values())
    for _, _, body in sent:
        assert held.reference in body
        assert "sue" in body
        assert held.email not in body
        assert "Shopper" not in body  # the customer's name is never in the mail
    log = client("ivy").get(f"/api/incidents/{reference}").json()["log"]
    entry = log[-1]
    assert entry["text"].startswith(
        f"High alert: the personal data of affected customer {held.reference}"
    )
    assert "sue" in entry["text"]
    state = client("ivy").get(f"/api/incidents/{reference}/affected").json()
    assert [(a["customer"], a["reader"]) for a in state["alerts"]] == [(held.reference, "sue")]
    assert state["high_alert"] is True
    assert len(events(platform, "incident.high_alert")) == 1

    # the single customer view and the orders are reads too; a repeat within the hour is
    # logged but not mailed again
    assert support.get(f"/api/customers/{held.reference}/view", params=READ).status_code == 200
    assert len(_alert_mails(platform, reference)) == len(sent)
    assert len(events(platform, "incident.high_alert")) == 2


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_no_alert_once_the_incident_is_closed(platform, client):
    held = shopper(platform, "closed")
    reference = case_with(client, held)
    with platform.unit_of_work() as uow:  # closed as the record shows it, guards aside
        incident = incidents.find(uow, Viewer.operator(), reference)
        incident.state = IncidentState.CLOSED
    assert client("sue").get(f"/api/customers/{held.reference}", params=READ).status_code == 200
    assert _alert_mails(platform, reference) == []
    assert events(platform, "incident.high_alert") == []


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_before_a_team_sits_the_iso_is_alerted(platform, client):
    person = shopper(platform, "early")
    iso = client("ivy")
    reference = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    listed = iso.post(f"/api/incidents/{reference}/affected", json={"customers": [person.email]})
    assert listed.status_code == 200, listed.text
    assert client("sue").get("/api/orders/NO-SUCH", params=READ).status_code == 404
    assert (
        client("sue").get(f"/api/customers/{person.reference}/orders", params=READ).status_code
        == 200
    )
    sent = _alert_mails(platform, reference)
    assert [to for to, _, _ in sent] == ["ivy@klaremont.example"]  # the ISO role
    assert "(orders," in client("ivy").get(f"/api/incidents/{reference}").json()["log"][-1]["text"]
