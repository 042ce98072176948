"""Evidence files (SP-IRP-EVIDENCE): taken in encrypted with the SHA-256 of their content
recorded, handed out only to those who may see the case after a check, every handling on an
append-only chain of custody that is also in the audit log."""

from __future__ import annotations

import hashlib
import stat

import pytest
from casefile_support import BROWSER, LOG, form, open_case, stored_path, upload
from incidents_support import events
from sqlalchemy import select

from klaremont.errors import FieldProblem, ValidationFailed
from klaremont.incidents import evidence
from klaremont.incidents.casefile_models import IncidentCustody
from klaremont.incidents.models import Incident


@pytest.fixture
def reference(client) -> str:
    return open_case(client)


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_a_member_takes_a_file_in_encrypted_with_its_hash(platform, client, reference):
    added = upload(client("ted"), reference)
    assert added.status_code == 201, added.text
    item = added.json()
    assert item["number"] == 1
    assert item["name"] == "egress.log"
    assert item["size"] == len(LOG)
    assert item["sha256"] == hashlib.sha256(LOG).hexdigest()
    assert item["added_by"] == "ted"
    assert [(c["number"], c["handling"], c["actor"]) for c in item["custody"]] == [
        (1, "added", "ted")
    ]
    stored = stored_path(platform, reference)
    on_disk = stored.read_bytes()
    assert on_disk.startswith(b"KLMEVD1\n")
    assert b"203.0.113.40" not in on_disk  # nothing of the content in the clear
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.parent.stat().st_mode) == 0o700
    [event] = events(platform, "incident.evidence_added")
    assert event.details_dict()["sha256"] == item["sha256"]
    assert event.resource == f"incident/{reference}/evidence/1"
    case = client("ivy").get(f"/api/incidents/{reference}").json()
    assert f"SHA-256 {item['sha256']}" in case["log"][-1]["text"]


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_a_download_is_checked_and_recorded_with_why_first(platform, client, reference):
    upload(client("ted"), reference)
    got = client("dora").post(
        f"/api/incidents/{reference}/evidence/1/download", json={"why": "Board briefing."}
    )
    assert got.status_code == 200
    assert got.content == LOG
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith('attachment; filename="egress.log"')
    assert got.headers["cache-control"] == "no-store"
    too_short = client("dora").post(
        f"/api/incidents/{reference}/evidence/1/download", json={"why": "x"}
    )
    assert too_short.status_code == 422
    shown = client("ivy").get(f"/api/incidents/{reference}/evidence/1").json()
    assert [(c["handling"], c["actor"], c["why"]) for c in shown["custody"]] == [
        ("added", "ted", "Night-time egress seen from web-01, kept before rotation."),
        ("downloaded", "dora", "Board briefing."),
    ]
    [event] = events(platform, "incident.evidence_downloaded")
    assert event.details_dict()["entry"] == 2


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_the_console_takes_a_file_in_and_hands_it_out(platform, client, reference):
    ted, dan = client("ted"), client("dan")
    page = f"/staff/incidents/{reference}/evidence"
    case = ted.get(f"/staff/incidents/{reference}", headers=BROWSER).text
    assert f'href="{page}"' in case
    blank = ted.get(page, headers=BROWSER).text
    assert 'enctype="multipart/form-data"' in blank
    files = {"file": ("C:\\Users\\ted\\web-01 syslog.txt", LOG, "text/plain")}
    added = form(ted, page, {"why": "The syslog of web-01 for that night."}, files=files)
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"{page}?done=added"
    listed = ted.get(added.headers["location"], headers=BROWSER).text
    assert "Evidence file taken in" in listed
    assert "web-01 syslog.txt" in listed  # the browser's path is not kept
    assert hashlib.sha256(LOG).hexdigest() in listed
    assert "Add an evidence file" not in dan.get(page, headers=BROWSER).text  # reads, no seat
    item = dan.get(f"{page}/1", headers=BROWSER)
    assert item.status_code == 200
    assert "Chain of custody" in item.text
    got = form(dan, f"{page}/1/download", {"why": "Insurer asked for it."})
    assert got.status_code == 200
    assert got.content == LOG
    assert "filename*=UTF-8''web-01%20syslog.txt" in got.headers["content-disposition"]
    refused = form(dan, f"{page}/1/download", {"why": "no"})
    assert refused.status_code == 422
    assert "Why you need it: must be at least 3 characters" in refused.text
    again = dan.get(f"{page}/1", headers=BROWSER).text
    assert "Insurer asked for it." in again
    missing = form(ted, page, {"why": "A file that was never chosen."})
    assert missing.status_code == 422
    assert "Evidence file: must be filled in" in missing.text


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_names_and_reasons_are_checked_as_plain_text(platform, client, reference):
    ted = client("ted")
    with pytest.raises(ValidationFailed) as refused:  # a client may not even send this one
        evidence.clean_name("evil\x07.log")
    assert refused.value.problems == [FieldProblem("file", "must not contain control characters")]
    for name, rule in (
        ("refund 4111 1111 1111 1111.csv", "must not contain a card number"),
        ("x" * 256, "must be at most 255 characters"),
        ("../", "must be filled in: choose the file to add"),
    ):
        refused = upload(ted, reference, name=name)
        assert refused.status_code == 422, (name, refused.text)
        assert refused.json()["errors"] == [{"field": "file", "rule": rule}]
    no_reason = upload(ted, reference, why="  a")
    assert no_reason.status_code == 422
    assert not list((platform.settings.var_dir / "evidence").rglob("*.kev"))
    assert events(platform, "incident.evidence_added") == []


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_a_file_over_the_limit_is_refused_and_nothing_kept(
    platform, client, reference, monkeypatch
):
    monkeypatch.setenv("KLAREMONT_EVIDENCE_MAX_MEGABYTES", "1")
    ted = client("ted")
    big = upload(ted, reference, content=b"x" * ((1 << 20) + 1))
    assert big.status_code == 422
    assert big.json()["errors"] == [{"field": "file", "rule": "must be at most 1 MB"}]
    folder = platform.settings.var_dir / "evidence" / reference
    assert list(folder.iterdir()) == []  # no partial file left behind
    exact = upload(ted, reference, content=b"y" * (1 << 20))
    assert exact.status_code == 201
    assert exact.json()["size"] == 1 << 20


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_large_and_empty_files_round_trip(platform, client, reference):
    ted = client("ted")
    content = bytes(range(256)) * ((3 << 20) // 256) + b"tail"  # three chunks and a bit
    assert upload(ted, reference, content=content, name="disk.img").status_code == 201
    assert upload(ted, reference, content=b"", name="empty.txt").status_code == 201
    for number, expected in ((1, content), (2, b"")):
        got = ted.post(
            f"/api/incidents/{reference}/evidence/{number}/download", json={"why": "Analysis."}
        )
        assert got.status_code == 200
        assert got.content == expected


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_only_the_team_and_the_iso_add_and_only_while_open(platform, client, reference):
    for name in ("dan", "dpo"):
        refused = upload(client(name), reference)
        assert refused.status_code == 403
        assert "Only the response team" in refused.json()["detail"]
    assert upload(client("ivy"), reference).status_code == 201
    with platform.unit_of_work() as uow:
        assert len(uow.session.scalars(select(IncidentCustody)).all()) == 1
    with platform.engine.begin() as conn:  # as if it had been closed
        conn.execute(Incident.__table__.update().values(state="closed"))
    late = upload(client("ted"), reference)
    assert late.status_code == 409
    assert "nothing more can be added" in late.json()["detail"]


@pytest.mark.policy("SP-IRP-EVIDENCE", "IS-SENS-MASK")
def test_card_numbers_inside_evidence_are_kept_sealed_not_refused(platform, client, reference):
    """A card-data incident's evidence holds card numbers by nature: the content is taken in
    (sealed, never in the clear on disk); its name and reason are still checked."""
    content = b"refund,4111 1111 1111 1111,12/27\n"
    added = upload(client("ted"), reference, content=content, name="refunds.csv")
    assert added.status_code == 201, added.text
    assert b"4111" not in stored_path(platform, reference).read_bytes()
    assert "4111" not in added.text
    why = upload(client("ted"), reference, why="Found 4111 1111 1111 1111 in the sheet.")
    assert why.status_code == 422


@pytest.mark.policy("SP-IRP-EVIDENCE", "IS-SENS-CVV", "IS-SENS-TRACK")
@pytest.mark.parametrize(
    ("content", "held"),
    [
        (b"card 4111111111111111 cvv 123\n", "a card security code"),
        (b"x" * ((1 << 20) - 6) + b" cvv: 987 end", "a card security code"),  # across parts
        (b"%B4111111111111111^SMITH/JOHN^2712101000000000000000?", "card track data"),
    ],
)
def test_security_codes_and_track_data_are_never_taken_in(
    platform, client, reference, content, held
):
    """Never stored, even sealed: the upload is refused naming the file, the sealed file
    deleted with its key, nothing recorded; the same file masked is taken in."""
    refused = upload(client("ted"), reference, content=content, name="dump.txt")
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "file"
    assert error["rule"].startswith(f"holds {held}")
    folder = platform.settings.var_dir / "evidence" / reference
    assert list(folder.iterdir()) == []
    assert events(platform, "incident.evidence_added") == []
    masked = content.replace(b"123", b"***").replace(b"987", b"***").replace(b"%B", b"[track]")
    masked = masked.replace(b"^", b" ")
    assert upload(client("ted"), reference, content=masked, name="dump.txt").status_code == 201
