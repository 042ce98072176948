"""The audit log in the staff console: filters, paging, verify status, exports, refusals."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from starlette.testclient import TestClient

from klaremont import spreadsheet
from klaremont.audit.checkpoints import CheckpointSigner
from klaremont.audit.ddl import append_only_ddl, drop_append_only_ddl
from klaremont.audit.events import Actor, ActorType, AuditAction, Outcome
from klaremont.audit.models import AuditEvent
from klaremont.audit.query import EventFilter, stream_events
from klaremont.audit.status import TAIL_BYTES, LogStatus, last_checkpoint
from klaremont.audit.web import pages
from klaremont.audit.web.filters import parse_day, read_filters
from klaremont.platform import Platform
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

BOB = Actor(ActorType.STAFF, "bob-id")
FORMULA = '=HYPERLINK("http://evil.example")'


def _client(platform: Platform, name: str, role: Role) -> TestClient:
    make_staff(platform, name, role)
    client = staff_client(platform, name)
    client.headers["Accept"] = "text/html,application/xhtml+xml"  # as a browser asks
    return client


def _record(platform: Platform, **fields: object) -> None:
    with platform.unit_of_work(actor=BOB) as uow:
        uow.audit(**fields)  # type: ignore[arg-type] # test data: the keyword set varies


def _events(platform: Platform, action: str) -> list[AuditEvent]:
    with platform.unit_of_work() as uow:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(uow.session.scalars(query))


def _seeded(platform: Platform) -> None:
    _record(platform, action=AuditAction.DEMO_SEED, resource="shop", details={"note": FORMULA})
    _record(
        platform,
        action=AuditAction.POLICY_CHECK,
        outcome=Outcome.FAILURE,
        resource="policy",
        details={"long": "x" * 500},
    )


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r"<span class=\"hint\">([a-z.\-_]+)</span>", body)


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_the_iso_reads_the_log_and_the_view_is_audited(platform: Platform) -> None:
    """The ISO sees events newest first in UK time, and each view is an audit.read event."""
    _seeded(platform)
    with _client(platform, "ivy", Role.ISO) as client:
        page = client.get("/staff/audit")
        home = client.get("/staff/")
    assert page.status_code == 200
    assert "Audit log" in page.text
    tags = _rows(page.text)
    seeded = [tag for tag in tags if tag in {"policy.check", "demo.seed"}]
    assert seeded == ["policy.check", "demo.seed"]  # newest first
    assert "02/03/2026 09:30:00" in page.text  # 09:30 UTC in March is 09:30 UK time
    assert "x" * 500 not in page.text  # long values are cut
    assert "…" in page.text
    assert "&#34;http://evil.example&#34;" in page.text or "&quot;" in page.text  # escaped
    assert 'href="/staff/audit"' in home.text
    reads = _events(platform, "audit.read")
    assert len(reads) == 1
    assert reads[0].actor_type == "staff"
    assert json.loads(reads[0].details)["filters"] == {}


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_filters_narrow_the_events(platform: Platform, clock) -> None:
    """Actor, action, outcome and dates each narrow what is shown; the filters are recorded."""
    _seeded(platform)
    clock.advance(timedelta(days=3))
    _record(platform, action=AuditAction.DEMO_SEED, resource="later")
    with _client(platform, "ivy", Role.ISO) as client:
        by_action = client.get("/staff/audit", params={"action": "policy.check"})
        by_outcome = client.get("/staff/audit", params={"outcome": "failure"})
        by_actor = client.get("/staff/audit", params={"actor": "staff:bob-id"})
        by_name = client.get("/staff/audit", params={"actor": "ivy"})
        by_resource = client.get("/staff/audit", params={"resource": "later"})
        by_dates = client.get("/staff/audit", params={"from": "02/03/2026", "to": "2026-03-02"})
        later = client.get("/staff/audit", params={"from": "05/03/2026", "action": "demo.seed"})
    assert _rows(by_action.text) == ["policy.check"]
    assert _rows(by_outcome.text) == ["policy.check"]
    assert set(_rows(by_actor.text)) == {"demo.seed", "policy.check"}
    assert set(_rows(by_name.text)) <= {"audit.read", "auth.login", "staff.session.created"}
    assert "demo.seed" not in _rows(by_name.text)
    assert _rows(by_resource.text) == ["demo.seed"]
    assert "later" not in by_dates.text.split("<tbody>")[1]
    assert _rows(later.text) == ["demo.seed"]
    recorded = [json.loads(e.details)["filters"] for e in _events(platform, "audit.read")]
    assert {"action": "policy.check"} in recorded
    assert {"outcome": "failure"} in recorded


def test_paging_goes_to_older_events(platform: Platform) -> None:
    for _ in range(30):
        _record(platform, action=AuditAction.DEMO_SEED)
    with _client(platform, "ivy", Role.ISO) as client:
        first = client.get("/staff/audit", params={"size": "25", "action": "demo.seed"})
        older = re.search(r'id="older" href="([^"]+)"', first.text)
        assert older is not None
        second = client.get(older.group(1).replace("&amp;", "&"))
    assert len(_rows(first.text)) == 25
    assert len(_rows(second.text)) == 5
    assert 'id="newest"' in second.text
    assert 'id="older"' not in second.text


@pytest.mark.policy("IS-USE-SCAN", "IS-SENS-NEED")
def test_a_role_without_permission_gets_the_html_403_and_is_audited(platform: Platform) -> None:
    with _client(platform, "sid", Role.SUPPORT_AGENT) as client:
        page = client.get("/staff/audit", follow_redirects=False)
        export = client.get("/staff/audit/export.csv", follow_redirects=False)
        home = client.get("/staff/")
    assert page.status_code == 403
    assert "text/html" in page.headers["content-type"]
    assert "<html" in page.text
    assert export.status_code == 403
    assert 'href="/staff/audit"' not in home.text
    denied = _events(platform, AuditAction.PERMISSION_DENIED.value)
    assert [e.outcome for e in denied] == ["denied", "denied"]
    assert denied[0].resource == "route:GET /staff/audit"
    assert not _events(platform, "audit.read")


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_the_csv_export_parses_is_formula_safe_and_is_audited(platform: Platform) -> None:
    _seeded(platform)
    with _client(platform, "ivy", Role.ISO) as client:
        response = client.get("/staff/audit/export.csv", params={"action": "demo.seed"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["action"] for r in rows] == ["demo.seed"]
    assert rows[0]["details"].startswith("{")
    assert json.loads(rows[0]["details"]) == {"note": FORMULA}
    # a cell that would start a formula is neutralised
    assert spreadsheet.safe_cell(FORMULA) == "'" + FORMULA
    assert spreadsheet.safe_cell("-1") == "'-1"
    assert spreadsheet.safe_cell("@SUM(1)") == "'@SUM(1)"
    assert spreadsheet.safe_cell(None) == ""
    (read,) = _events(platform, "audit.read")
    details = json.loads(read.details)
    assert details["export"] == "csv"
    assert details["filters"] == {"action": "demo.seed"}
    assert details["returned"] == 1


def test_a_formula_like_resource_is_neutralised_in_the_csv(platform: Platform) -> None:
    _record(platform, action=AuditAction.DEMO_SEED, resource="=1+1", purpose="+sum")
    with _client(platform, "ivy", Role.ISO) as client:
        response = client.get("/staff/audit/export.csv", params={"action": "demo.seed"})
    (row,) = csv.DictReader(io.StringIO(response.text))
    assert row["resource"] == "'=1+1"
    assert row["purpose"] == "'+sum"


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_the_json_export_parses_and_is_audited(platform: Platform) -> None:
    _seeded(platform)
    with _client(platform, "ivy", Role.ISO) as client:
        response = client.get("/staff/audit/export.json", params={"outcome": "failure"})
        empty = client.get("/staff/audit/export.json", params={"resource": "nothing-here"})
    assert response.status_code == 200
    body = response.json()
    assert [e["action"] for e in body] == ["policy.check"]
    assert body[0]["details"]["long"] == "x" * 500
    assert empty.json() == []
    exports = [json.loads(e.details) for e in _events(platform, "audit.read")]
    assert [e["export"] for e in exports] == ["json", "json"]


def test_an_export_over_the_maximum_is_refused_with_a_message(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seeded(platform)
    monkeypatch.setattr(pages, "EXPORT_MAX", 1)
    with _client(platform, "ivy", Role.ISO) as client:
        response = client.get("/staff/audit/export.csv")
    assert response.status_code == 422
    assert "an export holds at most 1" in response.text
    refused = [e for e in _events(platform, "audit.read") if "export" in e.details]
    assert refused[0].outcome == "failure"


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"from": "31/02/2026"}, "from", "must be a date written like 31/12/2026"),
        ({"to": "yesterday"}, "to", "must be a date written like 31/12/2026"),
        ({"from": "03/03/2026", "to": "02/03/2026"}, "to", "must be on or after the From date"),
        ({"action": "no.such.action"}, "action", "must be one of the listed actions"),
        ({"outcome": "maybe"}, "outcome", "must be success, failure or denied"),
        ({"resource": "r" * 201}, "resource", "must be at most 200 characters"),
        ({"size": "7"}, "size", "must be one of 25, 50, 100, 200"),
        ({"before": "-3"}, "before", "must be a whole number above 0"),
    ],
)
def test_bad_filters_name_the_field_and_the_rule(
    platform: Platform, params: dict[str, str], field: str, rule: str
) -> None:
    with _client(platform, "ivy", Role.ISO) as client:
        page = client.get("/staff/audit", params=params)
        export = client.get("/staff/audit/export.json", params=params)
    assert page.status_code == 422
    assert f"({field}): {rule}" in page.text
    assert export.status_code == 422
    assert "text/html" in export.headers["content-type"]
    assert not _events(platform, "audit.read")


def test_a_control_character_in_a_filter_is_refused_naming_the_field(platform: Platform) -> None:
    """The app refuses control characters in any query (before the route); the page's own
    check refuses them too, for any caller that reaches it another way."""
    with _client(platform, "ivy", Role.ISO) as client:
        page = client.get("/staff/audit", params={"actor": "bob\x1b[31m"})
    assert page.status_code == 422
    assert "actor" in page.text.lower()
    assert not _events(platform, "audit.read")
    checked = read_filters({"actor": "bob\x1b[31m", "resource": "ok"}, lambda _: None)
    assert checked.problems == {"actor": "must not contain control characters"}


def test_dates_read_the_uk_way() -> None:
    assert parse_day("6/12/2026") == parse_day("2026-12-06")
    assert parse_day("2026-02-30") is None
    assert parse_day("12.06.2026") is None


def test_the_last_day_of_the_calendar_is_a_valid_to_date(platform: Platform) -> None:
    _seeded(platform)
    with _client(platform, "ivy", Role.ISO) as client:
        page = client.get("/staff/audit", params={"to": "31/12/9999", "from": "01/01/0001"})
    assert page.status_code == 200
    assert "policy.check" in _rows(page.text)


@pytest.mark.policy("IS-USE-MONITOR")
def test_verify_shows_ok_on_a_sound_chain_and_the_last_checkpoint(platform: Platform) -> None:
    _seeded(platform)
    with _client(platform, "ivy", Role.ISO) as client:
        page = client.get("/staff/audit")
        checked = client.post("/staff/audit/verify")
    assert 'id="checkpoint">event' in page.text
    assert "signature valid" in page.text
    assert "Verify the whole log now" in page.text
    assert 'id="last-check">never' in page.text
    assert checked.status_code == 200
    assert "Verified OK" in checked.text
    assert re.search(r'id="last-check">[^<]+ by ivy: <span class="good">OK', checked.text)
    (verify,) = _events(platform, AuditAction.AUDIT_VERIFY.value)
    assert verify.outcome == "success"


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_verify_shows_not_ok_when_an_event_was_tampered_with(platform: Platform) -> None:
    _seeded(platform)
    engine = platform.engine
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for statement in drop_append_only_ddl(dialect):
            conn.exec_driver_sql(statement)
        conn.execute(text("UPDATE audit_events SET resource = 'forged' WHERE action = 'demo.seed'"))
        for statement in append_only_ddl(dialect):
            conn.exec_driver_sql(statement)
    with _client(platform, "ivy", Role.ISO) as client:
        checked = client.post("/staff/audit/verify")
    assert checked.status_code == 200
    assert "NOT OK" in checked.text
    assert "edited" in checked.text
    assert re.search(r'id="last-check">.+NOT OK, broken at event \d+', checked.text)
    (verify,) = _events(platform, AuditAction.AUDIT_VERIFY.value)
    assert verify.outcome == "failure"


def test_verify_needs_the_verify_permission_and_csrf(platform: Platform) -> None:
    with _client(platform, "dora", Role.DPO) as client:
        page = client.get("/staff/audit")
        refused = client.post("/staff/audit/verify")
    assert page.status_code == 200
    assert "Verify the whole log now" not in page.text
    assert refused.status_code == 403
    with _client(platform, "ivy", Role.ISO) as client:
        del client.headers["X-CSRF-Token"]
        forged = client.post("/staff/audit/verify", data={"csrf_token": "wrong"})
    assert forged.status_code == 403
    assert not _events(platform, AuditAction.AUDIT_VERIFY.value)


def test_action_words() -> None:
    assert pages.action_words("authz.denied") == "Authorisation: denied"
    assert pages.action_words("audit.read") == "Audit log: read"
    assert pages.action_words("system.db.upgrade") == "System: database upgrade"
    assert pages.action_words("auth.mfa.enrol") == "Sign-in: authenticator enrol"
    assert pages.action_words("backup.key-destroy") == "Backup: key destroy"
    assert pages.action_words("lonely") == "Lonely"


def test_the_last_checkpoint_is_read_from_the_end_of_the_file(tmp_path: Path) -> None:
    """Only the file's tail is read: the newest well-formed line wins, garbage is skipped."""
    signer = CheckpointSigner(Ed25519PrivateKey.generate())
    path = tmp_path / "checkpoints.jsonl"
    assert last_checkpoint(path) is None
    lines = [signer.sign(seq, "a" * 64, "2026-03-02T09:30:00.000000Z") for seq in range(1, 60)]
    path.write_bytes(b"".join(line.to_line() for line in lines) + b"not json\n")
    assert path.stat().st_size > TAIL_BYTES
    found = last_checkpoint(path)
    assert found is not None
    assert found.seq == 59
    status = LogStatus(last_seq=61, checkpoint=found, signature_valid=True)
    assert status.unsealed == 2
    assert status.sealed_at is not None
    odd = LogStatus(last_seq=0, checkpoint=replace(found, at="yesterday"), signature_valid=False)
    assert odd.sealed_at is None
    assert LogStatus(last_seq=3, checkpoint=None, signature_valid=False).sealed_at is None
    path.write_bytes(b"garbage\n")
    assert last_checkpoint(path) is None


def test_a_long_export_streams_in_batches_and_chunks(platform: Platform) -> None:
    """Hundreds of events come out whole; the keyset batches follow each other exactly."""
    with platform.unit_of_work(actor=BOB) as uow:
        for _ in range(450):
            uow.audit(AuditAction.DEMO_SEED)
    with _client(platform, "ivy", Role.ISO) as client:
        response = client.get("/staff/audit/export.csv", params={"action": "demo.seed"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 450
    seqs = [int(row["seq"]) for row in rows]
    assert seqs == sorted(seqs)
    batched = list(stream_events(platform.engine, EventFilter(), up_to=seqs[4], batch=2))
    assert [event.seq for event in batched] == list(range(1, seqs[4] + 1))


def test_a_bare_id_matches_any_kind_of_actor(platform: Platform) -> None:
    customer = Actor(ActorType.CUSTOMER, "cust-1")
    with platform.unit_of_work(actor=customer) as uow:
        uow.audit(AuditAction.DEMO_SEED, resource="from-a-customer")
    with _client(platform, "ivy", Role.ISO) as client:
        page = client.get("/staff/audit", params={"actor": "cust-1"})
    assert _rows(page.text) == ["demo.seed"]
    assert "Customer cust-1" in page.text


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_details_read_as_words_not_json() -> None:
    """Stored details read as staff say them: yes/no, commas, counts as ``name: number``."""
    said = [
        (True, "yes"),
        (False, "no"),
        (None, "none"),
        ([], "none"),
        ([["address", 56], ["contact", 28]], "address: 56, contact: 28"),
        (["DSR-AAAA2222", "DSR-BBBB3333"], "DSR-AAAA2222, DSR-BBBB3333"),
        ({"rows": 3, "ok": True}, "rows: 3; ok: yes"),
        (12, "12"),
        ("identity_pending", "identity pending"),
        ("consent.cookies", "consent.cookies"),
    ]
    for value, words in said:
        assert pages.value_words(value) == words, value
