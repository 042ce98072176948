"""The yearly test of the response plan (PCI DSS 12.10.2): an exercise incident, started by
the ISO only, run end to end, told apart everywhere, and a live check that one closed within
the last twelve months."""

from __future__ import annotations

from datetime import timedelta

import pytest
from exercise_support import SCENARIO, run_to_close, start_exercise
from incidents_support import REPORT, events, mails

from klaremont.incidents import deadlines
from klaremont.incidents.exercise_checks import plan_tested
from klaremont.incidents.models import Incident

EXERCISE = dict(REPORT, what_happened=SCENARIO, exercise=True)


@pytest.mark.policy("SP-IRT")
def test_only_the_iso_starts_an_exercise_and_it_is_marked_everywhere(platform, client):
    refused = client("ted").post("/api/incidents", json=EXERCISE)
    assert refused.status_code == 403, refused.text
    assert "only the Information Security Officer starts an exercise" in refused.json()["detail"]
    with platform.unit_of_work() as uow:
        assert uow.session.query(Incident).count() == 0  # nothing half-written

    iso = client("ivy")
    made = iso.post("/api/incidents", json=EXERCISE)
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    assert [subject for _, subject, _ in mails(platform)] == [
        f"Exercise (a test of the response plan): {reference}"
    ]
    assert [e.details_dict()["exercise"] for e in events(platform, "incident.reported")] == [True]
    row = iso.get("/api/incidents").json()[0]
    assert (row["reference"], row["exercise"]) == (reference, True)
    page = iso.get("/staff/incidents", headers={"accept": "text/html"})
    assert "Exercise" in page.text
    case = iso.get(f"/staff/incidents/{reference}", headers={"accept": "text/html"})
    assert "Exercise: a test of the response plan" in case.text
    # a real report is not marked
    real = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    assert {r["reference"]: r["exercise"] for r in iso.get("/api/incidents").json()}[real] is False


@pytest.mark.policy("SP-IRT")
def test_the_report_form_offers_the_exercise_to_the_iso_only(platform, client):
    form = client("ivy").get("/staff/incidents/report", headers={"accept": "text/html"})
    assert "This is a test of the response plan (an exercise)" in form.text
    other = client("sue").get("/staff/incidents/report", headers={"accept": "text/html"})
    assert other.status_code == 200
    assert "test of the response plan" not in other.text
    sent = client("sue").post(
        "/staff/incidents/report",
        data={
            "csrf_token": client("sue").headers["X-CSRF-Token"],
            **{k: str(v) for k, v in EXERCISE.items() if k != "exercise"},
            "exercise": "yes",
        },
        headers={"accept": "text/html"},
    )
    assert sent.status_code == 403, sent.text
    assert "only the Information Security Officer starts an exercise" in sent.text
    with platform.unit_of_work() as uow:
        assert uow.session.query(Incident).filter(Incident.exercise.is_(True)).count() == 0


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_a_missed_deadline_in_an_exercise_is_not_escalated_to_the_directors(
    platform, client, clock
):
    reference = start_exercise(platform)
    clock.advance(timedelta(hours=73))
    with platform.unit_of_work() as uow:
        raised = deadlines.check(uow)
    assert {r.stage for r in raised if r.reference == reference} >= {"missed"}
    missed = [e.details_dict() for e in events(platform, "incident.deadline_missed")]
    assert missed, "the miss is still recorded"
    assert all(d["routed_to"] == ["iso"] for d in missed)
    subjects = [subject for _, subject, _ in mails(platform)]
    assert any(s.startswith("Exercise: Missed:") for s in subjects)
    to = {address for address, _, _ in mails(platform)}
    assert not {a for a in to if a.startswith(("dora@", "dan@"))}


@pytest.mark.policy("SP-IRT")
def test_the_live_check_wants_an_exercise_closed_in_the_last_12_months(platform, people, clock):
    del people
    with platform.unit_of_work() as uow:
        never = plan_tested(uow)
    assert (never.holds, never.detail) == (False, "the response plan has never been tested")

    reference = start_exercise(platform)
    with platform.unit_of_work() as uow:
        assert not plan_tested(uow).holds  # started is not tested: it must be run to its close
    run_to_close(platform, reference)
    with platform.unit_of_work() as uow:
        fresh = plan_tested(uow)
    assert fresh.holds, fresh.detail
    assert reference in fresh.detail

    clock.advance(timedelta(days=367))
    with platform.unit_of_work() as uow:
        stale = plan_tested(uow)
    assert not stale.holds
    assert "more than twelve months ago" in stale.detail
    assert reference in stale.detail
