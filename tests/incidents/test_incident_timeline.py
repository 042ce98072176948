"""The printable timeline report: the console page and the self-contained HTML file carry the
facts, the team, the notification decisions, the checklist, every log entry (state changes
and decisions included), the evidence manifest with SHA-256 hashes and custody, and whether
each member's report is in (never its words); producing it is audited."""

from __future__ import annotations

import hashlib
import re

import pytest
from casefile_support import BROWSER, LOG, open_case, upload
from incidents_support import events
from typer.testing import CliRunner

from klaremont.cli.context import use_platform
from klaremont.incidents import cli as incidents_cli

SECRET_WORDS = "Only the ISO and the directors may read this sentence of my report."


@pytest.fixture
def reference(platform, client) -> str:
    reference = open_case(client)
    iso, ted = client("ivy"), client("ted")
    upload(ted, reference)
    ted.post(
        f"/api/incidents/{reference}/actions",
        json={"kind": "containment", "text": "web-01 unplugged from the network."},
    )
    iso.post(
        f"/api/incidents/{reference}/notifications/police",
        json={"decision": "not_required", "reasoning": "Nothing was taken from the shop."},
    )
    for to in ("contained", "recovered"):
        iso.post(f"/api/incidents/{reference}/transition", json={"to": to})
    ted.post(f"/api/incidents/{reference}/member-reports", json={"text": SECRET_WORDS})
    return reference


def _says_everything(html: str, reference: str) -> None:
    assert f"Incident {reference}: timeline report" in html
    assert "Response team" in html and "Ted Tester (ted)" in html  # noqa: PT018 - one section
    assert "Police (high-tech crime unit)" in html
    assert "Nothing was taken from the shop." in html  # a notification decision
    assert "Moved from “Response team activated” to “Contained”" in html  # a state change
    assert "web-01 unplugged from the network." in html  # an action
    assert "Preserving evidence" in html
    assert hashlib.sha256(LOG).hexdigest() in html  # the manifest's hash
    assert "Chain of custody" in html
    assert "egress.log" in html
    assert re.search(r"Ted Tester \(ted\)</td><td[^>]*>Submitted", html)
    assert "Not submitted" in html
    assert SECRET_WORDS not in html  # the report's words stay with their readers


@pytest.mark.policy("SP-IRP-EVIDENCE", "SP-IRP-NOTIFY", "SP-IRT-REPORT")
def test_the_console_timeline_has_the_whole_case_and_prints(platform, client, reference):
    case = client("dpo").get(f"/staff/incidents/{reference}", headers=BROWSER).text
    assert f'href="/staff/incidents/{reference}/timeline"' in case
    page = client("dpo").get(f"/staff/incidents/{reference}/timeline", headers=BROWSER)
    assert page.status_code == 200
    _says_everything(page.text, reference)
    assert "Print command" in page.text
    [produced] = events(platform, "incident.timeline_produced")
    assert produced.details_dict()["via"] == "console"
    css = client("dpo").get("/static/staff.css").text
    assert "@media print" in css


@pytest.mark.policy("SP-IRP-EVIDENCE", "SP-IRP-NOTIFY")
def test_the_timeline_file_stands_alone(platform, client, reference, tmp_path):
    out = tmp_path / "timeline.html"
    use_platform(platform)
    try:
        result = CliRunner().invoke(
            incidents_cli.app, ["report-html", reference.lower(), "-o", str(out)]
        )
    finally:
        use_platform(None)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    _says_everything(html, reference)
    assert "@media print" in html
    assert "<link" not in html  # styles inline, nothing fetched
    assert "<script" not in html
    assert events(platform, "incident.timeline_produced")[0].details_dict()["via"] == "cli"


@pytest.mark.policy("SP-IRT")
def test_someone_off_the_team_gets_no_timeline(platform, client, reference):
    denied = len(events(platform, "incident.access_denied"))
    answer = client("sue").get(f"/staff/incidents/{reference}/timeline", headers=BROWSER)
    assert answer.status_code == 404
    assert "web-01" not in answer.text
    assert len(events(platform, "incident.access_denied")) == denied + 1
    assert events(platform, "incident.timeline_produced") == []
