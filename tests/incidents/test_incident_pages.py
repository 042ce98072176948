"""The console's incident pages: the ISO works a case through its forms, refusals are shown on
the page naming what is missing, the register filters, and the ICO draft has Art. 33(3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from incidents_support import REPORT

BROWSER = {"Accept": "text/html"}


def _form(api, path: str, data: dict[str, str] | None = None):
    return api.post(
        path,
        data={**(data or {}), "csrf_token": api.headers["X-CSRF-Token"]},
        headers=BROWSER,
        follow_redirects=False,
    )


@pytest.fixture
def reference(client) -> str:
    return client("sue").post("/api/incidents", json=REPORT).json()["reference"]


@pytest.mark.policy("SP-IRP-INVESTIGATE", "SP-IRT", "SP-IRP-CONTAIN")
def test_the_iso_works_the_case_through_the_console(platform, client, reference):
    iso, ted = client("ivy"), client("ted")
    page = f"/staff/incidents/{reference}"
    assert _form(iso, f"{page}/investigate").headers["location"] == f"{page}?done=investigating"
    case = iso.get(f"{page}?done=investigating", headers=BROWSER).text
    assert "Initial investigation started." in case
    # The team form offers the rule's picks first: the titled Senior Engineer over a more
    # senior engineer, each seat's eligible people only.
    assert '<option value="ted" selected>Ted Tester (ted), Senior Engineer</option>' in case
    assert '<option value="tom">Tom Tester (tom), Engineer</option>' in case
    assert "Appoint and activate the team" in case
    partial = _form(iso, f"{page}/team", {"seat_iso": "ivy", "seat_senior_engineer": "ted"})
    assert partial.status_code == 409
    assert "A company director: nobody appointed" in partial.text
    assert "An account manager: nobody appointed" in partial.text
    seats = {
        "seat_iso": "ivy",
        "seat_senior_engineer": "ted",
        "seat_development_manager": "dev",
        "seat_director": "dora",
        "seat_account_manager": "amy",
    }
    assert _form(iso, f"{page}/team", seats).status_code == 303
    early = _form(iso, f"{page}/contain")
    assert early.status_code == 409
    assert "at least one containment action must be logged" in early.text
    logged = _form(ted, f"{page}/actions", {"kind": "containment", "text": "Pulled the cable."})
    assert logged.status_code == 303
    step = _form(ted, f"{page}/checklist", {"item": "high_alert", "answer": "not_applicable"})
    assert step.status_code == 422
    assert "Note: say why the step does not apply" in step.text
    assert _form(iso, f"{page}/contain").status_code == 303
    case = ted.get(page, headers=BROWSER).text
    assert "Pulled the cable." in case
    assert "Contained" in case
    assert "Move the case" not in case  # a member acts, only the ISO steers


@pytest.mark.policy("SP-IRP-INVESTIGATE")
def test_a_dismissal_without_a_reason_is_refused_on_the_page(client, reference):
    iso = client("ivy")
    refused = _form(iso, f"/staff/incidents/{reference}/dismiss", {"reason": "no"})
    assert refused.status_code == 409
    assert "the reason it is not an incident (10 characters at least)" in refused.text
    assert 'action="/staff/incidents/' in refused.text
    done = _form(
        iso, f"/staff/incidents/{reference}/dismiss", {"reason": "A test message from IT."}
    )
    assert done.status_code == 303
    assert "Dismissed because" in iso.get(f"/staff/incidents/{reference}", headers=BROWSER).text


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_the_register_filters_and_says_overdue_in_words(platform, client, clock, reference):
    iso = client("ivy")
    other = client("sue").post("/api/incidents", json=REPORT | {"card_data": "no"}).json()
    iso.post(f"/api/incidents/{other['reference']}/transition", json={"to": "investigating"})
    clock.advance(timedelta(hours=30))
    from klaremont.testing.staff import staff_client  # noqa: PLC0415 - a fresh session

    with staff_client(platform, "ivy") as fresh:
        overdue = fresh.get("/staff/incidents?due=overdue", headers=BROWSER).text
        assert reference in overdue
        assert other["reference"] not in overdue
        assert "Payment service provider and card brands: overdue by 6 hours" in overdue
        waiting = fresh.get("/staff/incidents?state=investigating", headers=BROWSER).text
        assert other["reference"] in waiting and reference not in waiting  # noqa: PT018
        bad = fresh.get("/staff/incidents?state=lost", headers=BROWSER)
        assert bad.status_code == 422
        assert "State: one of the states listed" in bad.text


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_the_ico_draft_has_what_article_33_asks(client, reference):
    iso = client("ivy")
    draft = iso.get(f"/staff/incidents/{reference}/ico-report", headers=BROWSER)
    assert draft.status_code == 200
    for heading in (
        "(a) Nature of the breach",
        "(b) Data Protection Officer",
        "(c) Likely consequences",
        "(d) Measures taken or proposed",
    ):
        assert heading in draft.text
    assert "Approximate number of people concerned" in draft.text  # a gap, listed
    assert "Dpo Tester (dpo), Data Protection Officer" in draft.text
    assert "Thursday 5 March 2026, 09:30 GMT" in draft.text
    iso.put(
        f"/api/incidents/{reference}/assessment",
        json={"people_categories": "Customers", "people_count": 1200, "record_count": 4800},
    )
    again = iso.get(f"/api/incidents/{reference}/ico-report").json()
    assert again["people_count"] == 1200
    assert "approximate number of people concerned" not in again["gaps"]
    assert "likely consequences" in again["gaps"]
