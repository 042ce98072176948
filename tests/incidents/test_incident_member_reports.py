"""The members' written reports (SP-IRT-REPORT): written at the end by each seat's holder,
kept encrypted, read only by the ISO, the directors and the member who wrote it, never
changed (amendments appended, each audited), and the incident cannot close without them."""

from __future__ import annotations

import pytest
from casefile_support import BROWSER, form, open_case
from incidents_support import TEAM, events
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from klaremont.cli.context import use_platform
from klaremont.incidents import casefile_checks
from klaremont.incidents import cli as incidents_cli
from klaremont.incidents.append_only import drop_append_only_ddl
from klaremont.incidents.casefile_models import IncidentMemberReport

WORDS = "I pulled the network cable of web-01 at 02:10 and left it running, as the plan says."


def _recovered(client) -> str:
    iso = client("ivy")
    reference = open_case(client)
    client("ted").post(
        f"/api/incidents/{reference}/actions",
        json={"kind": "containment", "text": "web-01 unplugged from the network."},
    )
    for to in ("contained", "recovered"):
        assert (
            iso.post(f"/api/incidents/{reference}/transition", json={"to": to}).status_code == 200
        )
    return reference


@pytest.fixture
def reference(client) -> str:
    return _recovered(client)


def _write(api, reference: str, words: str = WORDS, *, amend: bool = False, member=None):
    path = f"/api/incidents/{reference}/member-reports" + ("/amendments" if amend else "")
    body = {"text": words} | ({"member": member} if member else {})
    return api.post(path, json=body)


@pytest.mark.policy("SP-IRT-REPORT")
def test_reports_are_written_at_the_end_only(client):
    reference = open_case(client)
    early = _write(client("ted"), reference)
    assert early.status_code == 409
    assert "once it is recovered" in early.json()["detail"]


@pytest.mark.policy("SP-IRT-REPORT")
def test_a_report_is_stored_encrypted_and_never_changed(platform, client, reference):
    ted = client("ted")
    written = _write(ted, reference)
    assert written.status_code == 201, written.text
    assert (
        _write(ted, reference, "A second version of my report, replacing the first.").status_code
        == 409
    )
    amended = _write(ted, reference, "Correction: it was 02:20, not 02:10.", amend=True)
    assert amended.status_code == 201
    assert amended.json()["number"] == 2
    with platform.unit_of_work() as uow:
        rows = uow.session.scalars(select(IncidentMemberReport)).all()
        assert [(r.username, r.number) for r in rows] == [("ted", 1), ("ted", 2)]
        assert all(b"web-01" not in bytes(r.body) and b"02:20" not in bytes(r.body) for r in rows)
    for statement in (
        "UPDATE incident_member_reports SET number = 5",
        "DELETE FROM incident_member_reports",
    ):
        with (
            pytest.raises(DBAPIError, match="incident_member_reports is append-only"),
            platform.engine.begin() as conn,
        ):
            conn.execute(text(statement))
    assert [
        e.details_dict()["number"] for e in events(platform, "incident.member_report_submitted")
    ] == [1]
    assert [
        e.details_dict()["number"] for e in events(platform, "incident.member_report_amended")
    ] == [2]
    case = client("ivy").get(f"/api/incidents/{reference}").json()
    said = [entry["text"] for entry in case["log"]][-2:]
    assert said[0].startswith("Written report of Ted Tester (ted)")
    assert said[1].startswith("Amendment 1 to the written report of Ted Tester (ted)")
    assert all(WORDS not in entry["text"] for entry in case["log"])  # the words stay sealed


@pytest.mark.policy("SP-IRT-REPORT", "IS-SENS-NEED")
def test_the_iso_and_directors_read_all_a_member_their_own_nobody_else(platform, client, reference):
    _write(client("ted"), reference)
    _write(client("amy"), reference, "I checked no customer had called us about web-01 that week.")
    for reader in ("ivy", "dora", "dan"):  # the ISO, the director on the team, one off it
        read = client(reader).get(f"/api/incidents/{reference}/member-reports").json()
        assert read["reads_all"] is True
        texts = {s["member"]: [e["text"] for e in s["entries"]] for s in read["seats"]}
        assert texts["ted"] == [WORDS]
        assert sorted(read["missing"]) == ["dev", "dora", "ivy"]
    own = client("ted").get(f"/api/incidents/{reference}/member-reports").json()
    assert own["reads_all"] is False
    assert {s["member"]: len(s["entries"]) for s in own["seats"]}["amy"] == 0
    assert [e["text"] for s in own["seats"] for e in s["entries"]] == [WORDS]
    reads = events(platform, "incident.member_reports_read")
    assert len(reads) == 4
    denied_before = len(events(platform, "incident.access_denied"))
    refused = client("dpo").get(f"/api/incidents/{reference}/member-reports")
    assert refused.status_code == 403  # sees the case, not the reports
    assert WORDS not in refused.text
    page = client("dpo").get(f"/staff/incidents/{reference}/member-reports", headers=BROWSER)
    assert page.status_code == 403
    assert WORDS not in page.text
    assert len(events(platform, "incident.access_denied")) - denied_before == 2


@pytest.mark.policy("SP-IRT-REPORT")
def test_only_a_member_writes_and_only_their_own(client, reference):
    off_team = _write(client("dan"), reference)
    assert off_team.status_code == 403
    assert "Only the members of the response team" in off_team.json()["detail"]
    for_someone = _write(client("ted"), reference, member="amy")
    assert for_someone.status_code == 403
    not_seated = _write(client("ivy"), reference, member="ollie")
    assert not_seated.status_code == 422
    assert not_seated.json()["errors"] == [
        {"field": "member", "rule": "ollie does not sit on the team"}
    ]
    paper = _write(
        client("ivy"), reference, "Amy's paper report, transcribed by the ISO.", member="amy"
    )
    assert paper.status_code == 201
    assert paper.json()["entered_by"] == "ivy"
    no_report = _write(
        client("dev"), reference, "Nothing to amend as there is no report.", amend=True
    )
    assert no_report.status_code == 409


@pytest.mark.policy("SP-IRT-REPORT")
def test_the_console_form_for_members_and_the_list_for_the_iso(platform, client, reference):
    page = f"/staff/incidents/{reference}/member-reports"
    ted = client("ted")
    case = ted.get(f"/staff/incidents/{reference}", headers=BROWSER).text
    assert "each member writes one now" in case
    blank = ted.get(page, headers=BROWSER).text
    assert "Submit my report" in blank
    short = form(ted, page, {"text": "Too short."})
    assert short.status_code == 422
    assert "Your written report: must be at least 20 characters" in short.text
    assert form(ted, page, {"text": WORDS}).headers["location"] == f"{page}?done=submitted"
    mine = ted.get(f"{page}?done=submitted", headers=BROWSER).text
    assert "Your written report is in." in mine
    assert WORDS in mine
    assert "Add the amendment" in mine
    assert form(ted, f"{page}/amend", {"text": "Correction: it was 02:20."}).status_code == 303
    home = client("dev").get("/staff/", headers=BROWSER).text
    assert f"{reference} is recovered: write your report" in home
    iso_home = client("ivy").get("/staff/", headers=BROWSER).text
    assert f"{reference}: 4 written report(s) still missing" in iso_home
    listed = client("ivy").get(page, headers=BROWSER).text
    assert WORDS in listed
    assert "Amendment 1" in listed
    assert listed.count("Not in yet") >= 4
    close = form(client("ivy"), f"/staff/incidents/{reference}/close")
    assert close.status_code == 409
    assert "the written report of Dev Tester (dev)" in close.text


@pytest.mark.policy("SP-IRT-REPORT")
def test_the_live_check_wants_every_report_of_every_closed_incident(platform, client, reference):
    assert casefile_checks.closed_incidents_have_every_member_report(platform).holds
    with platform.engine.begin() as conn:  # closed behind the workflow's back
        conn.execute(text("UPDATE incidents SET state = 'closed'"))
    outcome = casefile_checks.closed_incidents_have_every_member_report(platform)
    assert not outcome.holds
    assert reference in outcome.detail
    for username in TEAM.values():
        member = client(username)
        with platform.engine.begin() as conn:
            conn.execute(text("UPDATE incidents SET state = 'recovered'"))
        assert _write(member, reference).status_code == 201
    with platform.engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET state = 'closed'"))
    assert casefile_checks.closed_incidents_have_every_member_report(platform).holds


@pytest.mark.policy("SP-IRT-REPORT")
def test_a_report_edited_in_the_database_is_caught(platform, client, reference):
    _write(client("ted"), reference)
    use_platform(platform)
    try:
        runner = CliRunner()
        assert runner.invoke(incidents_cli.app, ["verify"]).exit_code == 0
        for statement in drop_append_only_ddl(platform.engine.dialect.name):
            with platform.engine.begin() as conn:
                conn.execute(text(statement))
        with platform.engine.begin() as conn:
            conn.execute(text("UPDATE incident_member_reports SET entered_by = 'ivy'"))
        result = runner.invoke(incidents_cli.app, ["verify"])
    finally:
        use_platform(None)
    assert result.exit_code == 1
    assert (
        f"{reference} written report of ted, entry 1: its content no longer matches"
        in result.output
    )
    assert not casefile_checks.closed_incidents_have_every_member_report(platform).holds


@pytest.mark.policy("SP-IRT-REPORT")
def test_the_operator_enters_a_paper_report_and_reads_them_at_the_shell(
    platform, client, reference, tmp_path
):
    paper = tmp_path / "amy.txt"
    paper.write_text("Amy's handwritten report, transcribed word for word.", encoding="utf-8")
    use_platform(platform)
    try:
        runner = CliRunner()
        added = runner.invoke(
            incidents_cli.app,
            ["member-reports", "add", reference, "--member", "amy", "--file", str(paper)],
        )
        listed = runner.invoke(incidents_cli.app, ["member-reports", "list", reference])
    finally:
        use_platform(None)
    assert added.exit_code == 0, added.output
    assert listed.exit_code == 0, listed.output
    assert "transcribed word for word" in listed.output
    assert "entered by cli:" in listed.output
    assert (
        "Senior engineer (or the most senior engineer available): Ted Tester (ted): MISSING"
        in listed.output
    )
