"""The right of access: a complete decrypted copy of everything held about the person, and
nothing of anyone else, with the Art. 15 information (PP-R-ACCESS)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date

import pytest
from rights_support import TEST_ACTOR, latest_link
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.db.base import Base
from klaremont.db.registry import load_all_models
from klaremont.db.tags import Handling
from klaremont.display import uk_date
from klaremont.rights import access, delivery, fulfil, intake
from klaremont.rights.access import HTML_CSP, STYLE
from klaremont.rights.discovery import subject_graph
from klaremont.rights.models import ExportArtifact
from klaremont.rights.states import RequestKind, RequestState

SEEDED_TABLES = {
    "customers", "addresses", "orders", "order_lines", "invoices", "payment_cards",
    "contact_records",
}  # fmt: skip


def _fulfilled_access(platform, person):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.ACCESS)
        done = fulfil.fulfil(uow, made.id)
    return made.id, done


def _as_read(value: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return uk_date(date.fromisoformat(value))
    return value


@pytest.mark.policy("PP-R-ACCESS")
def test_export_holds_every_category_and_nothing_of_anyone_else(platform, alice, bob):
    """Every table and canary of Alice is in both copies; none of Bob's values is in either."""
    request_id, done = _fulfilled_access(platform, alice)
    assert done.state == RequestState.FULFILLED.value
    assert done.formats == ["html", "json"]
    assert set(done.outcome["tables"]) >= SEEDED_TABLES
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        document = delivery.for_staff(uow, request_id, "json").content
        page = delivery.for_staff(uow, request_id, "html").content
    parsed = json.loads(document)
    assert set(parsed["data"]) >= SEEDED_TABLES
    for value in [*alice.canaries.values(), *alice.invoice_values.values()]:
        assert value.encode() in document, value
        read = _as_read(value)  # the HTML copy shows a date as people write it
        assert read.encode() in page or read.replace("'", "&#39;").encode() in page, read
    for value in [*bob.canaries.values(), *bob.invoice_values.values(), str(bob.subject_id)]:
        assert value.encode() not in document, value
        assert value.encode() not in page, value
    categories = {c for table in parsed["data"].values() for c in table["categories"]}
    assert {"identity", "address", "orders", "invoices", "payment_cards", "support_contacts"} <= (
        categories
    )
    lines = parsed["data"]["order_lines"]["rows"]
    assert len(lines) == 4  # reached through orders: no subject_id of their own


@pytest.mark.policy("PP-R-ACCESS")
def test_credentials_and_lookup_digests_are_left_out_and_said_so(platform, alice):
    """Password hashes, card tokens and blind indexes are not in the copy, and it says so."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        copy = access.collect(uow, alice.subject_id)
    document = copy.to_json().decode()
    assert "argon2" not in document
    assert "tok_canary" not in document
    customers = copy.table("customers")
    assert customers is not None
    assert "password_hash" in customers.withheld
    assert "email_bidx" in customers.derived
    assert "email_bidx" not in customers.rows[0]
    cards = copy.table("payment_cards")
    assert cards is not None
    assert "token" in cards.withheld
    assert cards.rows[0]["last4"] == "4242"


@pytest.mark.policy("PP-R-ACCESS")
def test_art15_information_is_included(platform, alice):
    """Purposes, recipients, retention per category with legal holds, sources, rights, the ICO."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        info = access.collect(uow, alice.subject_id).as_dict()["information"]
    assert {p["purpose"] for p in info["purposes"]} >= {
        "order_processing",
        "invoicing",
        "marketing",
    }
    retention = {r["category"]: r for r in info["retention"]}
    assert retention["invoices"]["kept_for"] == "6y"
    assert retention["invoices"]["legal_holds"][0]["minimum"] == "6y"
    assert retention["payment_cards"]["kept_for"] == "24m"
    assert info["sources"]["customers"] == {"account_creation": 1}
    assert "website_purchase" in info["sources"]["orders"]
    assert info["complaints"]["website"].startswith("https://ico.org.uk/")
    assert {r["right"] for r in info["your_rights"]} == {
        "access", "rectification", "erasure", "restriction", "objection", "portability",
    }  # fmt: skip
    assert info["recipients"]
    assert "UK" in info["transfers_outside_the_uk"]


@pytest.mark.policy("PP-R-ACCESS")
def test_html_copy_is_self_contained_without_script(platform, alice):
    """The page has no script and loads nothing; its one inline style matches the CSP hash."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        page = access.collect(uow, alice.subject_id).to_html().decode()
    assert "<script" not in page.lower()
    assert not re.search(r"\b(src|href)=", page)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page)  # no inline event handlers
    assert f"<style>{STYLE}</style>" in page
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in HTML_CSP
    assert "default-src 'none'" in HTML_CSP
    assert "Information Commissioner" in page


@pytest.mark.policy("PP-R-ACCESS")
def test_copy_is_sealed_and_delivered_by_a_link_to_the_verified_address(platform, alice):
    """The stored copy is ciphertext; the mailed link opens it a few times, audited."""
    request_id, _ = _fulfilled_access(platform, alice)
    linked_id, token = latest_link(platform, alice.subject_id)
    assert linked_id == request_id
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        stored = uow.session.scalars(
            select(ExportArtifact.content).where(ExportArtifact.fmt == "json")
        ).one()
        assert alice.canaries["customers.email"].encode() not in stored
        artifact = delivery.by_token(uow, request_id, token, "json")
        assert alice.canaries["customers.email"].encode() in artifact.content
        reads = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "personal.read")
        ).all()
        assert any('"by":"link"' in r for r in reads)


@pytest.mark.policy("PP-R-ACCESS")
def test_every_table_linked_to_a_subject_is_discovered():
    """Discovery finds every table whose subject_id references data_subjects, and their children."""
    load_all_models()
    graph = subject_graph()
    found = set(graph.tables)
    for table in Base.metadata.sorted_tables:
        column = table.c.get("subject_id")
        direct = column is not None and any(
            fk.column.table.name == "data_subjects" for fk in column.foreign_keys
        )
        ignored = table.info.get("rights") == Handling.IGNORE.value
        if direct and not ignored:
            assert table.name in found, table.name
    assert "order_lines" in found
    assert "erasure_ledger" not in found
    position = {name: i for i, name in enumerate(graph.delete_order)}
    for node in graph.tables.values():
        for link in node.links:
            assert position[node.name] < position[link.parent], (node.name, link.parent)


@pytest.mark.policy("PP-R-ACCESS", "DP-FAIR")
def test_the_html_copy_reads_as_words_and_the_json_keeps_every_field(platform, alice):
    """The readable copy: labels, UK dates, the customer number, the full privacy-centre
    address; no ids, column names, codes or ISO times. The JSON keeps all of them."""
    _request_id, _done = _fulfilled_access(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        intake.submit_signed_in(uow, alice.identity, RequestKind.RESTRICTION)
        copy = access.collect(uow, alice.subject_id)
    page = copy.to_html().decode()
    words = re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1])
    assert f"Your customer number {alice.reference}" in " ".join(words.split())
    assert "Your privacy requests" in words
    assert "Restriction" in words
    assert f"{platform.settings.public_url.rstrip('/')}/privacy/" in words
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", words)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", words)
    for code in ("subject_id", "lawful_basis", "open_key", "routed_to", "email_bidx", "_at "):
        assert code not in words, code
    assert not re.search(r"\b\d+[ymd]\b", words)  # periods in words: "6 years", not "6y"
    document = copy.as_dict()
    assert document["subject_id"] == str(alice.subject_id)
    assert "open_key" in document["data"]["dsr_requests"]["rows"][0]
