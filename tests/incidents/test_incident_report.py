"""Reporting an incident from the console, the API and the command line: the ISO is alerted at
once (mail, audit, console home), bad input names the field, card numbers are refused."""

from __future__ import annotations

import re

import pytest
from incidents_support import REPORT, events, mails
from typer.testing import CliRunner

from klaremont.cli.context import use_platform
from klaremont.errors import ValidationFailed
from klaremont.incidents import cli as incidents_cli
from klaremont.incidents import service
from klaremont.incidents.states import IncidentKind, Involvement

BROWSER = {"Accept": "text/html"}
CARD = "4111 1111 1111 1111"


def _form(api, path: str, data: dict[str, str]):
    return api.post(
        path,
        data={**data, "csrf_token": api.headers["X-CSRF-Token"]},
        headers=BROWSER,
        follow_redirects=False,
    )


@pytest.mark.policy("SP-REPORT", "SP-IRP-LOSS")
def test_anyone_reports_from_the_console_and_the_iso_sees_it_at_once(platform, client):
    form = client("mark").get("/staff/incidents/report", headers=BROWSER)
    assert form.status_code == 200
    assert "Records or media lost or stolen" in form.text
    done = _form(
        client("mark"),
        "/staff/incidents/report",
        {
            "kind": "loss_or_theft",
            "what_happened": "A box of signed order forms is missing from the post room.",
            "noticed_at": "2026-03-02T08:45",
            "systems": "",
            "personal_data": "yes",
            "card_data": "no",
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/incidents?reported=INC-2026-0001"
    told = client("mark").get(done.headers["location"], headers=BROWSER)
    assert "Reported as INC-2026-0001" in told.text
    assert "/staff/incidents/INC-2026-0001" not in told.text  # not theirs to open
    # The ISO: a message, an audit event, and the console home.
    assert [to for to, _, _ in mails(platform)] == ["ivy@klaremont.example"]
    body = mails(platform)[0][2]
    assert "records or media lost or stolen" in body
    assert "Monday 2 March 2026, 09:30 GMT" in body
    assert "Thursday 5 March 2026, 09:30 GMT" in body  # the ICO deadline
    alerted = events(platform, "incident.iso_alerted")
    assert [(e.resource, e.details_dict()["reference"]) for e in alerted] == [
        ("role:iso", "INC-2026-0001")
    ]
    home = client("ivy").get("/staff/", headers=BROWSER)
    assert "INC-2026-0001 reported: start the initial investigation" in home.text
    case = client("ivy").get("/staff/incidents/INC-2026-0001", headers=BROWSER)
    assert "Monday 2 March 2026, 08:45 GMT" in case.text  # when it was noticed, as typed
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", case.text)  # no ids on pages


@pytest.mark.policy("SP-REPORT", "IS-SENS-MASK")
def test_bad_input_names_the_field(platform, client):
    api = client("sue")
    short = api.post("/api/incidents", json=REPORT | {"what_happened": "   too short   "})
    assert short.status_code == 422
    assert short.json()["errors"] == [
        {"field": "what_happened", "rule": "must be at least 10 characters"}
    ]
    future = api.post("/api/incidents", json=REPORT | {"noticed_at": "2031-01-01T00:00:00Z"})
    assert future.json()["errors"] == [{"field": "noticed_at", "rule": "must not be in the future"}]
    naive = api.post("/api/incidents", json=REPORT | {"noticed_at": "2026-03-02T08:00:00"})
    assert naive.status_code == 422  # a time without its offset is not an instant
    assert naive.json()["errors"][0]["field"] == "noticed_at"
    kind = api.post("/api/incidents", json=REPORT | {"kind": "meteor"})
    assert kind.status_code == 422
    assert kind.json()["errors"][0]["field"] == "kind"
    card = api.post("/api/incidents", json=REPORT | {"systems": f"till receipt {CARD}"})
    assert card.status_code == 422
    assert CARD not in card.text
    page = _form(
        api,
        "/staff/incidents/report",
        {
            "kind": "other",
            "what_happened": "Something odd on the till.",
            "noticed_at": "2026-03-29T01:30",
            "personal_data": "no",
            "card_data": "maybe",
        },
    )
    assert page.status_code == 422
    assert (
        "When it was noticed (UK time, optional): is a time that did not exist in the UK"
        in page.text
    )
    carded = _form(
        api,
        "/staff/incidents/report",
        {"kind": "other", "what_happened": f"Customer read card {CARD} over the phone."},
    )
    assert carded.status_code == 422
    said = " ".join(carded.text.split())
    assert "What happened: must not hold a full card number" in said  # the label, in words
    assert "last four digits" in said
    assert 'action="/staff/incidents/report"' in carded.text  # the form again, not a dead end
    for developer_words in ("IS-SENS", "endpoint", CARD):
        assert developer_words not in said
    year_one = _form(
        api,
        "/staff/incidents/report",
        {
            "kind": "other",
            "what_happened": "Something odd on the till.",
            "noticed_at": "0001-01-01T00:00",
            "personal_data": "no",
            "card_data": "no",
        },
    )
    assert year_one.status_code == 422
    assert "must be a date between 1900 and 2199" in year_one.text
    assert events(platform, "incident.reported") == []


@pytest.mark.policy("IS-SENS-MASK")
def test_the_service_refuses_a_card_number_whatever_the_way_in(platform):
    with platform.unit_of_work() as uow, pytest.raises(ValidationFailed) as refused:
        service.report(
            uow,
            service.NewReport(
                IncidentKind.CARD_DATA_EXPOSED,
                f"Found {CARD} on a sticky note by the till.",
                Involvement.NO,
                Involvement.YES,
            ),
        )
    assert refused.value.problems[0].field == "what_happened"
    assert refused.value.problems[0].rule == "must not contain a card number"
    assert CARD not in str(refused.value)


@pytest.mark.policy("SP-REPORT")
def test_the_command_line_reports_too(platform, people):
    del people
    use_platform(platform)
    try:
        result = CliRunner().invoke(
            incidents_cli.app,
            [
                "report",
                "--what",
                "USB stick with a customer export lost at the trade show.",
                "--kind",
                "loss_or_theft",
                "--personal-data",
                "yes",
                "--card-data",
                "no",
            ],
        )
        assert result.exit_code == 0, result.output
        assert "INC-2026-0001: reported; the ISO was alerted (1 message(s))" in result.output
        assert "Thursday 5 March 2026, 09:30 GMT" in result.output
        listed = CliRunner().invoke(incidents_cli.app, ["list"])
        assert "INC-2026-0001" in listed.output
        bad = CliRunner().invoke(incidents_cli.app, ["report", "--what", "x" * 20, "--kind", "odd"])
        assert bad.exit_code != 0
    finally:
        use_platform(None)
    reported = events(platform, "incident.reported")
    assert [(e.actor_type, e.details_dict()["kind"]) for e in reported] == [
        ("system", "loss_or_theft")
    ]
