"""A scripted exercise through the API, from the report to the close: at each step the move
made too early is refused (409) naming what is missing, then done properly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from incidents_support import REPORT, TEAM, events, mails

from klaremont.testing.staff import staff_client

PROBLEM = "application/problem+json"


def _refused(response, *fields: str) -> dict:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"].endswith("/incident-transition-refused")
    named = {error["field"] for error in body["errors"]}
    assert set(fields) <= named, (fields, named)
    return body


def _move(api, reference: str, to: str, reason: str | None = None):
    body = {"to": to} | ({"reason": reason} if reason else {})
    return api.post(f"/api/incidents/{reference}/transition", json=body)


def _report(platform, reporter) -> str:
    """1. Anyone reports; the ISO is alerted at once and the clock starts."""
    made = reporter.post("/api/incidents", json=REPORT)
    assert made.status_code == 201, made.text
    reported = made.json()
    reference = reported["reference"]
    assert reference == "INC-2026-0001"
    assert reported["iso_alerted"] is True
    assert reported["ico_deadline"].startswith("2026-03-05T09:30")  # 72 h after 2 March 09:30 UTC
    assert [(to, subject) for to, subject, _ in mails(platform)] == [
        ("ivy@klaremont.example", f"Security incident reported: {reference}")
    ]
    assert REPORT["what_happened"] not in mails(platform)[0][2]  # the words stay in the case
    assert [e.details_dict()["messages"] for e in events(platform, "incident.iso_alerted")] == [1]
    assert reporter.get(f"/api/incidents/{reference}").status_code == 404  # not on the team
    return reference


def _investigate_and_activate(iso, reference: str) -> None:
    """2-3. The team waits for the initial investigation; an empty or wrong seat is named."""
    early = iso.post(f"/api/incidents/{reference}/team", json={"seats": TEAM})
    _refused(early, "to")
    assert _move(iso, reference, "investigating").status_code == 200
    partial = {seat: name for seat, name in TEAM.items() if seat != "account_manager"}
    refused = _refused(
        iso.post(f"/api/incidents/{reference}/team", json={"seats": partial}),
        "team.account_manager",
    )
    assert "An account manager: nobody appointed" in refused["detail"]
    wrong = dict(TEAM, development_manager="ollie")
    refused = _refused(iso.post(f"/api/incidents/{reference}/team", json={"seats": wrong}))
    assert "ollie is not a developer" in refused["detail"]
    proposal = iso.get(f"/api/incidents/{reference}/team").json()
    assert {seat["seat"]: seat["proposed"] for seat in proposal} == TEAM
    activated = iso.post(f"/api/incidents/{reference}/team", json={"seats": TEAM})
    assert activated.status_code == 200, activated.text
    assert activated.json()["incident"]["state"] == "team_activated"


def _contain(iso, engineer, reference: str) -> None:
    """4. Containment needs a containment action."""
    _refused(_move(iso, reference, "contained"), "containment_actions")
    logged = engineer.post(
        f"/api/incidents/{reference}/actions",
        json={"kind": "containment", "text": "web-01 unplugged from the network, left running."},
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["actor"] == "ted"
    assert _move(iso, reference, "contained").status_code == 200
    assert _move(iso, reference, "recovered").status_code == 200


def _decide_everything(iso, engineer, reference: str) -> None:
    """The ICO told late (with its reason, first in part), the others not required, the
    checklist answered."""
    late = iso.post(f"/api/incidents/{reference}/notifications/ico", json={"decision": "sent"})
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "late_reason"
    sent = iso.post(
        f"/api/incidents/{reference}/notifications/ico",
        json={
            "decision": "sent",
            "their_reference": "ICO-123",
            "late_reason": "The logs took three days to recover.",
            "phase": "initial",
        },
    )
    assert sent.status_code == 200, sent.text
    for party in ("customers", "payment_provider", "police"):
        decided = iso.post(
            f"/api/incidents/{reference}/notifications/{party}",
            json={"decision": "not_required", "reasoning": "No personal data left the server."},
        )
        assert decided.status_code == 200, decided.text
    for item in ("no_access", "keep_running_isolate", "preserve_logs", "log_actions", "high_alert"):
        step = engineer.post(
            f"/api/incidents/{reference}/checklist", json={"item": item, "answer": "done"}
        )
        assert step.status_code == 200, step.text


def _reports_then_close(platform, iso, reference: str) -> None:
    """6. Closing needs every member's written report: refused naming each one missing, and
    a report once submitted is not submitted again (amendments are appended)."""
    body = _refused(_move(iso, reference, "closed"), *(f"member_reports.{seat}" for seat in TEAM))
    assert (
        "the written report of Amy Tester (amy), an account manager, is missing" in body["detail"]
    )
    for seat, username in TEAM.items():
        if seat == "account_manager":  # the last one: closing still names the one missing
            body = _refused(_move(iso, reference, "closed"), "member_reports.account_manager")
            assert [e["field"] for e in body["errors"]] == ["member_reports.account_manager"]
        member = staff_client(platform, username)
        written = member.post(
            f"/api/incidents/{reference}/member-reports",
            json={"text": f"What {username} did and saw during the response, in full."},
        )
        assert written.status_code == 201, written.text
    again = staff_client(platform, "ted").post(
        f"/api/incidents/{reference}/member-reports",
        json={"text": "A second report is not accepted: amend the first."},
    )
    assert again.status_code == 409
    amended = staff_client(platform, "ted").post(
        f"/api/incidents/{reference}/member-reports/amendments",
        json={"text": "Correction: the cable was pulled at 02:10, not 02:40."},
    )
    assert amended.status_code == 201
    assert amended.json()["number"] == 2


@pytest.mark.policy(
    "SP-IRT-REPORT",
    "SP-REPORT",
    "SP-IRP-INVESTIGATE",
    "SP-IRT",
    "SP-IRT-MEMBERS",
    "SP-IRP-CONTAIN",
    "SP-IRP-EVIDENCE",
    "SP-IRP-NOTIFY",
)
def test_report_to_close_with_every_guard_refusing_first(platform, client, clock):
    iso, engineer = client("ivy"), client("ted")
    reference = _report(platform, client("sue"))
    _investigate_and_activate(iso, reference)
    _contain(iso, engineer, reference)

    # 5. Closing needs every notification decided, the checklist and the lessons learned.
    body = _refused(
        _move(iso, reference, "closed"),
        "notifications.ico",
        "notifications.customers",
        "notifications.payment_provider",
        "notifications.police",
        "checklist.preserve_logs",
        "lessons_learned",
    )
    assert "Information Commissioner's Office: not decided" in body["detail"]
    clock.advance(timedelta(hours=80))  # the ICO is told late: the reason is required
    iso, engineer = staff_client(platform, "ivy"), staff_client(platform, "ted")  # sessions ended
    _decide_everything(iso, engineer, reference)
    body = _refused(_move(iso, reference, "closed"), "notifications.ico", "lessons_learned")
    assert "only an initial report was sent" in body["detail"]
    iso.post(
        f"/api/incidents/{reference}/notifications/ico",
        json={"decision": "sent", "late_reason": "Logs recovered late.", "phase": "complete"},
    )
    lessons = iso.post(
        f"/api/incidents/{reference}/lessons",
        json={"text": "Night-time egress alerts now page the on-call engineer."},
    )
    assert lessons.status_code == 200
    _reports_then_close(platform, iso, reference)
    closed = _move(iso, reference, "closed")
    assert closed.status_code == 200, closed.text
    case = closed.json()
    assert case["incident"]["state"] == "closed"
    assert {n["recipient"]: n["decision"] for n in case["notifications"]} == {
        "ico": "sent",
        "customers": "not_required",
        "payment_provider": "not_required",
        "police": "not_required",
    }
    assert case["team"][0]["username"] == "ivy"
    assert [e["number"] for e in case["log"]] == list(range(1, len(case["log"]) + 1))
    assert len(events(platform, "incident.transition_refused")) == 8  # each refusal recorded
    entry = {"kind": "decision", "text": "late entry"}
    assert engineer.post(f"/api/incidents/{reference}/actions", json=entry).status_code == 409


@pytest.mark.policy("SP-IRP-INVESTIGATE")
def test_a_dismissal_needs_its_reason_and_keeps_the_record(platform, client):
    iso = client("ivy")
    reference = client("mark").post("/api/incidents", json=REPORT).json()["reference"]
    _refused(_move(iso, reference, "dismissed"), "reason")
    dismissed = _move(iso, reference, "dismissed", "A scheduled backup to our own offsite store.")
    assert dismissed.status_code == 200
    case = dismissed.json()
    assert case["dismissed_reason"].startswith("A scheduled backup")
    assert {n["decision"] for n in case["notifications"]} == {"not_required"}
    assert iso.get("/api/incidents?state=dismissed").json()[0]["reference"] == reference
    _refused(_move(iso, reference, "investigating"), "to")


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_not_required_needs_reasoning_and_a_decision_names_bad_input(platform, client):
    iso = client("ivy")
    reference = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    short = iso.post(
        f"/api/incidents/{reference}/notifications/customers",
        json={"decision": "not_required", "reasoning": "no"},
    )
    assert short.status_code == 422
    assert short.json()["errors"] == [
        {"field": "reasoning", "rule": "say why it is not required (10 characters at least)"}
    ]
    future = iso.post(
        f"/api/incidents/{reference}/notifications/ico",
        json={"decision": "sent", "sent_at": "2030-01-01T00:00:00Z"},
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "sent_at"
    odd = iso.post(f"/api/incidents/{reference}/notifications/ico", json={"decision": "maybe"})
    assert odd.status_code == 422
    assert odd.json()["errors"][0]["field"] == "decision"
