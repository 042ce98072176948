"""Who may open the compliance view, and the evidence pack: every register, each file hashed
in a manifest signed with the audit signing key; a changed byte fails verification."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from compliance_support import BROWSER, a_customer, overdue_request
from typer.testing import CliRunner

from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.compliance import evidence, history
from klaremont.evidence_files import csv_bytes

EXPECTED = {
    "trace.html",
    "trace.json",
    "trace.pdf",
    "access-review.html",
    "access-review.csv",
    "data-subject-requests.csv",
    "incident-register.csv",
    "media-registers.html",
    "media-inventory.csv",
    "media-disposals.csv",
    "processor-register.csv",
    "record-of-processing.html",
    "record-of-processing.csv",
    "record-of-processing.json",
}


def _rezip(content: bytes, change: dict[str, bytes]) -> bytes:
    """The pack with the named files' contents replaced."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, change.get(name, source.read(name)))
    return out.getvalue()


@pytest.mark.policy("IS-SENS-NEED")
def test_directors_the_dpo_and_the_iso_may_open_it_a_support_agent_may_not(signed_in):
    for who in ("dave", "dina", "iris"):
        page = signed_in(who).get("/staff/compliance", headers=BROWSER)
        assert page.status_code == 200, (who, page.text)
        assert 'href="/staff/compliance"' in page.text  # the navigation entry
    for who in ("sal", "eve"):
        client = signed_in(who)
        for path in (
            "/staff/compliance",
            "/staff/compliance.pdf",
            "/staff/compliance/DP-PROMPT",
            "/staff/compliance/DP-PROMPT.pdf",
            "/staff/compliance/evidence.zip",
        ):
            assert client.get(path, headers=BROWSER).status_code == 403, (who, path)
        assert 'href="/staff/compliance"' not in client.get("/staff/", headers=BROWSER).text


def test_an_unknown_clause_is_a_clear_404_and_a_filter_keeps_its_document(signed_in):
    dave = signed_in("dave")
    missing = dave.get("/staff/compliance/XX-NOPE", headers=BROWSER)
    assert missing.status_code == 404
    page = dave.get("/staff/compliance?document=SP", headers=BROWSER).text
    assert "/staff/compliance/SP-" in page
    assert "/staff/compliance/DP-" not in page
    assert "Not checked yet" in page  # the hourly job has not run in this test
    assert dave.get("/staff/compliance/dp-law", headers=BROWSER).status_code == 200
    long = dave.get("/staff/compliance/" + "X" * 3000, headers=BROWSER)
    assert long.status_code == 404
    assert "X" * 40 not in long.text
    for query, field in (("document=junk", "Policy"), ("status=Holds", "Live status")):
        refused = dave.get(f"/staff/compliance?{query}", headers=BROWSER)
        assert refused.status_code == 422, query
        assert field in refused.text


@pytest.mark.policy("DP-LAW")
def test_the_evidence_pack_verifies_and_a_changed_byte_does_not(platform, signed_in):
    reference = overdue_request(platform, a_customer(platform))
    history.check_all(platform)
    response = signed_in("dave").get("/staff/compliance/evidence.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    content = response.content
    pack = zipfile.ZipFile(io.BytesIO(content))
    manifest = json.loads(pack.read("manifest.json"))
    assert {f["name"] for f in manifest["files"]} == EXPECTED
    assert manifest["not_included"] == []
    assert manifest["key_id"] == platform.audit.signer.key_id
    trusted = platform.audit.trusted_keys
    assert evidence.verify_pack(content, trusted) == []

    requests = list(csv.reader(io.StringIO(pack.read("data-subject-requests.csv").decode())))
    assert requests[0][-1] == "Deadline"
    assert [reference, "overdue"] == [requests[1][0], requests[1][-1]]

    register = pack.read("incident-register.csv")
    changed = _rezip(content, {"incident-register.csv": register + b" "})
    assert evidence.verify_pack(changed, trusted) == [
        "incident-register.csv: SHA-256 differs from the manifest"
    ]
    body = pack.read("manifest.json")
    forged = body.replace(b'"format": 1', b'"format": 2')
    assert evidence.verify_pack(_rezip(content, {"manifest.json": forged}), trusted) == [
        "manifest signature does not verify"
    ]
    assert evidence.verify_pack(content, {}) == [
        f"manifest signed with key {manifest['key_id']}, which is not trusted here"
    ]
    assert evidence.verify_pack(b"not a zip", trusted)[0].startswith("not an evidence pack")


def test_the_cli_writes_and_verifies_a_pack(platform, tmp_path):
    use_platform(platform)
    try:
        runner = CliRunner()
        out = tmp_path / "pack.zip"
        made = runner.invoke(main.app, ["compliance", "evidence", str(out)])
        assert made.exit_code == 0, made.output
        checked = runner.invoke(main.app, ["compliance", "verify", str(out)])
        assert checked.exit_code == 0, checked.output
        out.write_bytes(_rezip(out.read_bytes(), {"trace.json": b"{}"}))
        broken = runner.invoke(main.app, ["compliance", "verify", str(out)])
        assert broken.exit_code == 1
        assert "trace.json: SHA-256 differs" in broken.output
        ran = runner.invoke(main.app, ["compliance", "check"])
        assert ran.exit_code == 0, ran.output
        assert "clauses checked" in ran.output
    finally:
        use_platform(None)


def test_a_spreadsheet_formula_in_a_register_is_quoted():
    made = csv_bytes(("a", "b"), [("=SUM(A1)", None)]).decode()
    assert made.splitlines() == ["a,b", "'=SUM(A1),"]
