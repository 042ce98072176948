"""Who reaches the case file: a support agent, a marketing user and an engineer off the team
get 403 or 404 on every evidence, report and timeline route, API and page, each refusal
audited, and nothing of the case leaks; directors and the DPO read the evidence but do not
add to it; the operator's commands take a file in, list it and export a checked copy."""

from __future__ import annotations

import pytest
from casefile_support import BROWSER, LOG, open_case, upload
from incidents_support import events
from typer.testing import CliRunner

from klaremont.cli.context import use_platform
from klaremont.incidents import cli as incidents_cli

WHY = {"why": "Curious about it."}
FILES = {"file": ("mine.log", b"nothing", "text/plain")}


@pytest.fixture
def reference(client) -> str:
    reference = open_case(client)
    assert upload(client("ted"), reference).status_code == 201
    return reference


def _routes(reference: str) -> list[tuple[str, str, dict | None, dict | None, dict | None]]:
    """(method, path, json, form, files) of every case-file route."""
    api, page = f"/api/incidents/{reference}", f"/staff/incidents/{reference}"
    text = {"text": "My account of what happened during the incident."}
    return [
        ("GET", f"{api}/evidence", None, None, None),
        ("GET", f"{api}/evidence/1", None, None, None),
        ("POST", f"{api}/evidence", None, WHY, FILES),
        ("POST", f"{api}/evidence/1/download", WHY, None, None),
        ("GET", f"{api}/member-reports", None, None, None),
        ("POST", f"{api}/member-reports", text, None, None),
        ("POST", f"{api}/member-reports/amendments", text, None, None),
        ("GET", f"{page}/evidence", None, None, None),
        ("GET", f"{page}/evidence/1", None, None, None),
        ("POST", f"{page}/evidence", None, WHY, FILES),
        ("POST", f"{page}/evidence/1/download", None, WHY, None),
        ("GET", f"{page}/member-reports", None, None, None),
        ("POST", f"{page}/member-reports", None, text, None),
        ("POST", f"{page}/member-reports/amend", None, text, None),
        ("GET", f"{page}/timeline", None, None, None),
    ]


def _call(api, route):
    method, path, body, form, files = route
    if form is not None:
        return api.request(
            method,
            path,
            data={**form, "csrf_token": api.headers["X-CSRF-Token"]},
            files=files,
            headers=BROWSER,
            follow_redirects=False,
        )
    return api.request(method, path, json=body, follow_redirects=False)


@pytest.mark.policy("SP-IRP-EVIDENCE", "SP-IRT-REPORT", "SP-IRT", "IS-SENS-NEED")
@pytest.mark.parametrize("outsider", ["sue", "mark", "ollie"])
def test_outsiders_reach_nothing_of_the_case_file(platform, client, reference, outsider):
    api = client(outsider)
    denied_before = len(events(platform, "incident.access_denied"))
    authz_before = len(events(platform, "authz.denied"))
    not_found = forbidden = 0
    for route in _routes(reference):
        method, path = route[:2]
        answer = _call(api, route)
        assert answer.status_code in {403, 404}, (method, path, answer.status_code, answer.text)
        assert "egress.log" not in answer.text, (method, path)
        assert "203.0.113.40" not in answer.text, (method, path)
        not_found += answer.status_code == 404
        forbidden += answer.status_code == 403
    assert len(events(platform, "incident.access_denied")) - denied_before == not_found
    assert len(events(platform, "authz.denied")) - authz_before == forbidden
    assert not_found == len(_routes(reference))  # all of them: the case is not theirs to know
    handled = client("ivy").get(f"/api/incidents/{reference}/evidence/1").json()["custody"]
    assert [c["handling"] for c in handled] == ["added"]  # nobody else handled the file
    assert events(platform, "incident.evidence_downloaded") == []


@pytest.mark.policy("SP-IRP-EVIDENCE", "SP-IRT")
@pytest.mark.parametrize("reader", ["dan", "dpo"])
def test_directors_and_the_dpo_read_the_evidence_but_do_not_add(client, reference, reader):
    api = client(reader)
    assert [e["number"] for e in api.get(f"/api/incidents/{reference}/evidence").json()] == [1]
    got = api.post(f"/api/incidents/{reference}/evidence/1/download", json=WHY)
    assert got.status_code == 200
    assert got.content == LOG
    assert upload(api, reference).status_code == 403


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_the_operator_takes_a_file_in_lists_it_and_exports_a_checked_copy(
    platform, client, reference, tmp_path
):
    source = tmp_path / "memory dump.bin"
    source.write_bytes(b"\x00\x01binary evidence\xff" * 100)
    out = tmp_path / "copy.bin"
    use_platform(platform)
    try:
        runner = CliRunner()
        added = runner.invoke(
            incidents_cli.app,
            ["evidence", "add", reference, str(source), "--why", "Memory captured by tom."],
        )
        listed = runner.invoke(incidents_cli.app, ["evidence", "list", reference])
        exported = runner.invoke(
            incidents_cli.app,
            ["evidence", "export", reference, "2", "-o", str(out), "--why", "For the police."],
        )
        again = runner.invoke(
            incidents_cli.app,
            ["evidence", "export", reference, "2", "-o", str(out), "--why", "Once more."],
        )
    finally:
        use_platform(None)
    assert added.exit_code == 0, added.output
    assert f"{reference} evidence 2: memory dump.bin" in added.output
    assert "1. egress.log" in listed.output
    assert "Added by cli:" in listed.output
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes() == source.read_bytes()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert again.exit_code != 0  # an existing file is never overwritten
    custody = client("ivy").get(f"/api/incidents/{reference}/evidence/2").json()["custody"]
    assert [(c["handling"], c["why"]) for c in custody] == [
        ("added", "Memory captured by tom."),
        ("exported", "For the police."),
    ]
