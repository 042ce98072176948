"""Warnings before each notification deadline go to the ISO once each; a missed deadline is
escalated to the directors once; a decided notification is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from incidents_support import REPORT, events, mails

from klaremont.capabilities import jobs
from klaremont.incidents import deadlines
from klaremont.testing.staff import staff_client


def _raised(platform) -> list[tuple[str, str]]:
    return [(r.recipient, r.stage) for r in _run(platform)]


def _run(platform):
    with platform.unit_of_work() as uow:
        return deadlines.check(uow)


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_warnings_then_escalation_once_each(platform, client, clock):
    reference = (
        client("sue").post("/api/incidents", json=REPORT | {"card_data": "no"}).json()["reference"]
    )
    assert _raised(platform) == []
    clock.advance(timedelta(hours=47, minutes=59))
    assert _raised(platform) == []
    clock.advance(timedelta(minutes=1))  # 24 hours before the ICO's deadline
    assert _raised(platform) == [("ico", "24h"), ("customers", "24h")]
    assert _raised(platform) == []  # once only
    clock.advance(timedelta(hours=18))
    assert _raised(platform) == [("ico", "6h"), ("customers", "6h")]
    before = len(mails(platform))
    clock.advance(timedelta(hours=6))  # the deadline passes
    assert _raised(platform) == [("ico", "missed"), ("customers", "missed")]
    escalated = mails(platform)[before:]
    assert sorted({to for to, _, _ in escalated}) == [
        "dan@klaremont.example",
        "dora@klaremont.example",
        "ivy@klaremont.example",
    ]
    assert all(
        subject == f"Missed: notification deadline of {reference}" for _, subject, _ in escalated
    )
    assert "the reason for the delay must be recorded" in escalated[0][2]
    clock.advance(timedelta(days=3))
    assert _raised(platform) == []
    missed = events(platform, "incident.deadline_missed")
    assert [e.details_dict()["routed_to"] for e in missed] == [["director", "iso"]] * 2
    assert [e.details_dict()["stage"] for e in events(platform, "incident.deadline_warning")] == [
        "24h",
        "24h",
        "6h",
        "6h",
    ]
    # The home pages say so, in words.
    assert "telling the Information Commissioner&#39;s Office is overdue by 3 days" in (
        staff_client(platform, "dora").get("/staff/").text
    )


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_a_decided_notification_raises_nothing(platform, client, clock):
    iso = client("ivy")
    reference = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    for party in ("ico", "customers", "payment_provider"):
        iso.post(f"/api/incidents/{reference}/notifications/{party}", json={"decision": "sent"})
    clock.advance(timedelta(hours=100))
    assert _raised(platform) == []


def test_the_job_is_declared():
    declared = {job.name: job for _, job in jobs()}
    assert declared["incident-deadlines"].every == timedelta(minutes=15)
    assert declared["incident-deadlines"].target == "klaremont.incidents.deadlines:run"
