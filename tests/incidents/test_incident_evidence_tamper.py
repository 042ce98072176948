"""A changed evidence byte is caught (SP-IRP-EVIDENCE): ``klaremont incidents verify``
decrypts and re-hashes every file and reports a flipped byte, a file cut short, swapped or
missing; the finding goes on the file's chain of custody, the live check fails and the file
is no longer handed out. The tables themselves are append-only, and an edited record breaks
its custody chain."""

from __future__ import annotations

import pytest
from casefile_support import LOG, open_case, stored_path, upload
from incidents_support import events
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from klaremont.cli.context import use_platform
from klaremont.incidents import casefile_checks
from klaremont.incidents import cli as incidents_cli
from klaremont.incidents.append_only import drop_append_only_ddl


@pytest.fixture
def reference(client) -> str:
    reference = open_case(client)
    assert upload(client("ted"), reference).status_code == 201
    return reference


@pytest.fixture
def verify(platform):
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(incidents_cli.app, ["verify", *args])
    use_platform(None)


def _custody(api, reference: str, number: int = 1) -> list[tuple[str, str, str]]:
    shown = api.get(f"/api/incidents/{reference}/evidence/{number}").json()
    return [(c["handling"], c["finding"], c["note"]) for c in shown["custody"]]


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_verify_re_hashes_every_file_and_records_it(platform, client, reference, verify):
    result = verify("--why", "Weekly check by the ISO.")
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output
    assert "1 evidence file(s) re-hashed" in result.output
    assert _custody(client("ivy"), reference)[-1] == (
        "verified",
        "intact",
        "2.9 KB; SHA-256 matches the intake",
    )
    assert casefile_checks.evidence_files_are_intact_and_in_custody(platform).holds
    [event] = events(platform, "incident.evidence_verified")
    assert event.details_dict()["finding"] == "intact"


@pytest.mark.policy("SP-IRP-EVIDENCE", "IS-USE-MONITOR")
def test_one_flipped_byte_is_reported_and_the_file_no_longer_handed_out(
    platform, client, reference, verify
):
    stored = stored_path(platform, reference)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte, in the middle of the content
    stored.write_bytes(bytes(data))
    result = verify()
    assert result.exit_code == 1
    assert (
        f"BROKEN: {reference} evidence 1 (egress.log): ALTERED: chunk 1 (bytes 0 to 1,048,575 "
        "of the content) failed its integrity check: a byte of it was changed" in result.output
    )
    assert _custody(client("ivy"), reference)[-1][:2] == ("verified", "altered")
    outcome = casefile_checks.evidence_files_are_intact_and_in_custody(platform)
    assert not outcome.holds
    assert f"{reference} evidence 1 failed its last verification" in outcome.detail
    refused = client("dora").post(
        f"/api/incidents/{reference}/evidence/1/download", json={"why": "Board briefing."}
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/evidence-altered")
    assert LOG[:20].decode() not in refused.text
    failures = [e for e in events(platform, "incident.evidence_verified") if e.outcome == "failure"]
    assert [e.details_dict().get("refused") for e in failures] == [None, "downloaded"]


@pytest.mark.policy("SP-IRP-EVIDENCE")
@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("truncate", "ALTERED: the stored file is cut short inside chunk 1"),
        ("extend", "ALTERED: bytes were added after the end of the stored file"),
        ("missing", "MISSING: the stored file INC-2026-0001/"),
        ("swap", "ALTERED: the stored file belongs to another evidence item"),
    ],
)
def test_a_file_cut_short_extended_missing_or_swapped_is_reported(  # noqa: PLR0917 - fixtures and the case
    platform, client, reference, verify, damage, said
):
    assert upload(client("ted"), reference, content=b"other file").status_code == 201
    stored = stored_path(platform, reference)
    if damage == "truncate":
        stored.write_bytes(stored.read_bytes()[:-7])
    elif damage == "extend":
        stored.write_bytes(stored.read_bytes() + b"\x00")
    elif damage == "missing":
        stored.unlink()
    else:
        stored.write_bytes(stored_path(platform, reference, 2).read_bytes())
    result = verify()
    assert result.exit_code == 1
    assert f"BROKEN: {reference} evidence 1 (egress.log): {said}" in result.output
    assert f"{reference} evidence 2" not in result.output  # the other file is intact


def _execute(platform, statement: str) -> None:
    with platform.engine.begin() as conn:
        conn.execute(text(statement))


@pytest.mark.policy("SP-IRP-EVIDENCE")
@pytest.mark.parametrize(
    ("table", "statement"),
    [
        ("incident_evidence", "UPDATE incident_evidence SET sha256 = 'x'"),
        ("incident_evidence", "DELETE FROM incident_evidence"),
        ("incident_custody", "UPDATE incident_custody SET why = 'nothing'"),
        ("incident_custody", "DELETE FROM incident_custody"),
    ],
)
def test_the_database_refuses_to_change_the_records(platform, reference, table, statement):
    with pytest.raises(DBAPIError, match=f"{table} is append-only"):
        _execute(platform, statement)


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_an_edited_record_breaks_its_custody_chain(platform, client, reference, verify):
    for statement in drop_append_only_ddl(platform.engine.dialect.name):
        _execute(platform, statement)
    _execute(platform, f"UPDATE incident_evidence SET sha256 = '{'0' * 64}'")
    _execute(platform, "UPDATE incident_custody SET why = 'Nobody asked.'")
    result = verify()
    assert result.exit_code == 1
    assert (
        f"{reference} evidence 1, custody entry 1: the entry or what was recorded at intake "
        "no longer matches its digest (edited)" in result.output
    )
    assert "no longer matches the SHA-256 taken at intake" in result.output
    assert not casefile_checks.evidence_files_are_intact_and_in_custody(platform).holds
