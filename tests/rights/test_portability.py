"""Portability: the provided data as JSON and CSV in a documented schema, optionally sent to
another organisation over HTTPS (PP-R-PORT)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from rights_support import TEST_ACTOR, Receiver
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.errors import ValidationFailed
from klaremont.rights import delivery, fulfil, intake
from klaremont.rights.models import Transmission
from klaremont.rights.portability import SCHEMA, SPECS
from klaremont.rights.states import RequestKind
from klaremont.rights.transmit import TRANSMITTER_EXTRA, Transmitter, check_url

DOC = Path(__file__).resolve().parents[2] / "docs" / "portability-schema.md"


@pytest.fixture
def receiver():
    """A local HTTPS server the portability copy is sent to."""
    server = Receiver()
    yield server
    server.close()


def _portability(platform, person, **kwargs):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.PORTABILITY)
        done = fulfil.fulfil(uow, made.id, **kwargs)
    return made.id, done


@pytest.mark.policy("PP-R-PORT")
def test_json_and_csv_follow_the_schema_and_hold_only_provided_data(platform, alice, bob):
    """Every record type and field of the schema; no invoices, credentials or anyone else."""
    request_id, done = _portability(platform, alice)
    assert done.formats == ["json", "zip"]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        document = delivery.for_staff(uow, request_id, "json").content
        archive = delivery.for_staff(uow, request_id, "zip").content
    parsed = json.loads(document)
    assert parsed["schema"] == SCHEMA
    for spec in SPECS:
        for record in parsed["records"][spec.name]:
            assert set(record) == set(spec.fields)
    assert parsed["records"]["accounts"][0]["email"] == alice.email
    assert parsed["records"]["addresses"][0]["account"] == alice.reference
    assert {line["order"] for line in parsed["records"]["order_lines"]} == {
        o["number"] for o in parsed["records"]["orders"]
    }
    assert "invoices" not in parsed["records"]
    for value in alice.invoice_values.values():
        assert value.encode() not in document
    for value in bob.canaries.values():
        assert value.encode() not in document
        assert value.encode() not in archive
    assert b"tok_canary" not in document
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        names = set(files.namelist())
        assert names == {f"{s.name}.csv" for s in SPECS} | {"schema.json"}
        for spec in SPECS:
            rows = list(csv.reader(io.StringIO(files.read(f"{spec.name}.csv").decode())))
            assert rows[0] == list(spec.fields)
            assert len(rows) - 1 == len(parsed["records"][spec.name])


@pytest.mark.policy("PP-R-PORT")
def test_the_documented_schema_matches_the_code():
    """docs/portability-schema.md names every record type and every field of the schema."""
    text = DOC.read_text()
    assert SCHEMA in text
    for spec in SPECS:
        assert f"`{spec.name}.csv`" in text, spec.name
        for name in spec.fields:
            assert f"| `{name}` |" in text.split(f"`{spec.name}.csv`", 1)[1], (spec.name, name)


@pytest.mark.policy("PP-R-PORT")
def test_copy_is_sent_to_the_named_recipient_over_https(platform, alice, receiver):
    """The JSON copy is POSTed to the recipient, and the sending is recorded and audited."""
    platform.extras[TRANSMITTER_EXTRA] = Transmitter(
        context=receiver.client_context, allow_private=True, timeout=5
    )
    request_id, done = _portability(
        platform, alice, recipient_url=receiver.url, recipient_country="GB"
    )
    assert done.outcome["transmission"]["outcome"] == "delivered"
    assert len(receiver.received) == 1
    path, headers, body = receiver.received[0]
    assert path == "/import"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["records"]["accounts"][0]["email"] == alice.email
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        sent = uow.session.scalars(select(Transmission)).one()
        assert sent.request_id == request_id
        assert sent.recipient_host == "127.0.0.1"
        assert sent.status_code == 201
        audited = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.resource == f"dsr:{request_id}")
        ).all()
        assert any('"event":"transmitted"' in d for d in audited)


@pytest.mark.policy("PP-R-PORT")
def test_refused_and_failed_sendings_are_recorded_not_hidden(platform, alice):
    """A redirect is not followed and counts as rejected; an unreachable host as failed."""
    redirecting = Receiver(redirect_to="https://127.0.0.1:1/elsewhere")
    try:
        transmitter = Transmitter(context=redirecting.client_context, allow_private=True, timeout=5)
        assert transmitter.send(redirecting.url, b"{}").outcome == "rejected"
        assert len(redirecting.received) == 1
    finally:
        redirecting.close()
    unreachable = Transmitter(allow_private=True, timeout=2).send("https://127.0.0.1:9/x", b"{}")
    assert unreachable.outcome == "failed"
    assert unreachable.status_code is None


@pytest.mark.policy("PP-R-PORT")
@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/import",
        "ftp://example.com/import",
        "https://user:pw@example.com/import",
        "https://127.0.0.1/import",
        "https://10.1.2.3/import",
        "https://[::1]/import",
        "https://169.254.169.254/latest",
    ],
)
def test_only_https_to_public_hosts(url):
    """Plain HTTP, credentials in the URL and private, loopback or link-local hosts are refused."""
    with pytest.raises(ValidationFailed) as refused:
        check_url(url)
    assert refused.value.problems[0].field == "recipient_url"
