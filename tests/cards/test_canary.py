"""Card data submitted where it does not belong is refused, and no trace of it is kept anywhere.

Canary card numbers (the well-known test number in several layouts and a fresh random
Luhn-valid one), a CVV and track 1/track 2 data are sent in CVV fields, track fields and
free text. Each request is refused with a 422 naming the field and the rule; afterwards the
database files (with their -wal files), the keystore, the var directory (audit checkpoints,
keys), every table of both databases read over SQL (the way to see PostgreSQL's contents),
the logs and the audit log are scanned with a Luhn-checked pattern: no canary is there.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from store_support import OFFICE, audit_events, sign_in

from klaremont.audit.redaction import luhn_valid
from klaremont.cards.actions import CardAction
from klaremont.detectors.pan import luhn_complete
from klaremont.scan import engine as scan_engine
from klaremont.scan.selfscan import SELF_KINDS, self_targets
from klaremont.web.app import create_app
from klaremont.web.card_guard import CardDataGuard, is_installed

VISA = "4111111111111111"
VISA_LAYOUTS = (VISA, "4111 1111 1111 1111", "4111-1111-1111-1111")
RANDOM_PAN = luhn_complete("4" + "".join(secrets.choice("0123456789") for _ in range(14)))
CVV = "907"
TRACK1 = f"%B{RANDOM_PAN}^CANARY/TESTER^2812101000000000000000?"
TRACK2 = f";{RANDOM_PAN}=28121010000000000000?"
CANARY_DIGITS = {VISA, RANDOM_PAN}
_DIGIT_RUNS = re.compile(r"\d(?:[ -]?\d){12,18}")
_CVV_TOKEN = re.compile(rf"(?<![0-9A-Za-z+/=]){CVV}(?![0-9A-Za-z+/=])")


def luhn_hits(haystack: str) -> set[str]:
    """Every Luhn-valid 13-19 digit number in the text (plain, spaced or dashed), as digits."""
    hits = set()
    for match in _DIGIT_RUNS.finditer(haystack):
        digits = re.sub(r"[ -]", "", match.group())
        for start in range(len(digits)):
            for end in range(start + 13, min(len(digits), start + 19) + 1):
                if luhn_valid(digits[start:end]):
                    hits.add(digits[start:end])
    return hits


def assert_no_canary(haystack: str, where: str, *, cvv: bool = True) -> None:
    """No canary card number (in any layout), track data or, in text, the CVV in ``haystack``."""
    assert not (luhn_hits(haystack) & CANARY_DIGITS), f"a canary card number is in {where}"
    for layout in (*VISA_LAYOUTS, RANDOM_PAN, "CANARY/TESTER"):
        assert layout not in haystack, f"{layout[:4]}... is in {where}"
    if cvv:
        assert not _CVV_TOKEN.search(haystack), f"the canary CVV is in {where}"


def table_text(engine: Engine) -> str:
    """Every value of every table, as text (on PostgreSQL, the only way to its contents)."""
    parts = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(
                    bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)
                    for v in row
                )
    return "\n".join(parts)


def file_bytes(*roots: Path) -> dict[Path, str]:
    """Every file under ``roots`` (databases, -wal and -shm files, keys, checkpoints) as text."""
    found = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                found[path] = path.read_bytes().decode("latin-1")
    return found


def _refusals(web, customer_id, headers) -> list[tuple[object, str, str]]:
    """Send card data every way it must be refused; return (response, field, rule) triples."""
    cards = f"/api/customers/{customer_id}/cards?purpose=order_processing"
    card = {"pan": VISA, "exp_month": 12, "exp_year": 2030}
    sent = [
        (web.post(cards, headers=headers, json=card | {"cvv": CVV}), "cvv", "cvv"),
        (web.post(cards, headers=headers, json=card | {"cvc": CVV}), "cvc", "cvv"),
        (web.post(cards, headers=headers, json=card | {"card": {"cvv2": CVV}}), "card.cvv2", "cvv"),
        (web.post(cards, headers=headers, json=card | {"track1": TRACK1}), "track1", "track-data"),
        (web.post(cards, headers=headers, json=card | {"track2": TRACK2}), "track2", "track-data"),
        (web.post(cards, headers=headers, json={**card, "pan": TRACK2}), "pan", "track-data"),
    ]
    contacts = f"/api/customers/{customer_id}/contacts?purpose=support"
    for layout in VISA_LAYOUTS:
        summary = f"Customer read out {layout} exp 12/28 code {CVV} over the phone"
        response = web.post(contacts, headers=headers, json={"kind": "query", "summary": summary})
        sent.append((response, "summary", "card-number"))
    swipe = {"kind": "complaint", "summary": f"till printed {TRACK2}"}
    sent.append((web.post(contacts, headers=headers, json=swipe), "summary", "track-data"))
    patch = f"/api/customers/{customer_id}?purpose=support"
    dashed = "-".join(RANDOM_PAN[i : i + 4] for i in range(0, 16, 4))
    sent.append((web.patch(patch, headers=headers, json={"name": dashed}), "name", "card-number"))
    created = web.post(
        "/api/customers",
        headers=headers,
        json={"name": "N", "email": "n@example.com", "channel": "contact", "notes": [TRACK1]},
    )
    sent.append((created, "notes[0]", "track-data"))
    query = web.get("/api/customers", params={"purpose": "support", "cursor": RANDOM_PAN})
    sent.append((query, "query.cursor", "card-number"))
    return sent


@pytest.mark.policy("IS-SENS-CVV", "IS-SENS-TRACK", "IS-SENS-MASK", "IS-SENS-SAFE")
def test_card_data_is_refused_and_leaves_no_trace(  # noqa: PLR0917 - pytest fixtures
    platform, web, card_manager, customer_id, settings, capfd, caplog
):
    """CVVs, track data and stray card numbers get a 422 naming field and rule, are audited by
    field name only, and appear in no database file, -wal file, keystore, table, log or audit
    event afterwards; a proper tokenise stores the last four digits only."""
    # The test client's own request lines (its URLs carry what the test sent) are not the
    # platform's logs; every platform logger still writes at INFO and is scanned.
    caplog.set_level(logging.WARNING, logger="httpx2")
    caplog.set_level(logging.INFO)
    headers = sign_in(web, card_manager)
    sent = _refusals(web, customer_id, headers)
    for response, field, rule in sent:
        assert response.status_code == 422, (field, response.text)
        problem = response.json()
        assert problem["type"].endswith("/card-data-refused")
        assert (field, rule) in {(e["field"], f) for e in problem["errors"] for f in [rule]}
        assert any(e["field"] == field and "IS-SENS-" in e["rule"] for e in problem["errors"])
        assert_no_canary(response.text, f"the response for {field}")
    refused = audit_events(platform, CardAction.CARD_REFUSED)
    assert len(refused) == len(sent)
    assert all(e.actor_id == str(card_manager.id) for e in refused)
    kept = web.post(
        f"/api/customers/{customer_id}/cards?purpose=order_processing",
        headers=headers,
        json={"pan": RANDOM_PAN, "exp_month": 1, "exp_year": 2031},
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["masked"] == f"•••• {RANDOM_PAN[-4:]}"
    assert_no_canary(kept.text, "the tokenise response")

    assert platform.audit.verify(platform.engine).ok
    logs = capfd.readouterr()
    assert_no_canary(logs.out + logs.err + caplog.text, "the logs")
    audit = table_text(platform.engine)
    assert "card.refused" in audit
    assert_no_canary(audit, "the data store's tables (audit log included)")
    assert_no_canary(table_text(platform.keystore_engine), "the keystore's tables")
    var_dir = settings.var_dir
    database_dirs = [
        Path(engine.url.database).parent
        for engine in (platform.engine, platform.keystore_engine)
        if engine.dialect.name == "sqlite"
    ]
    while_open = file_bytes(var_dir, *database_dirs)
    assert any(p.name.endswith("-wal") for p in while_open) or not database_dirs
    # The discovery scanner's self-scan agrees: no card data at rest, live or test.
    at_rest = scan_engine.run(
        scan_engine.ScanRequest((*self_targets(settings), *map(str, database_dirs)), SELF_KINDS)
    )
    assert at_rest.counts() == {}, at_rest.counts()
    assert at_rest.bytes > 0
    platform.dispose()
    for path, content in {**while_open, **file_bytes(var_dir, *database_dirs)}.items():
        assert_no_canary(content, str(path), cvv=False)


@pytest.mark.policy("IS-SENS-CVV", "IS-SENS-TRACK", "IS-SENS-MASK")
def test_every_api_route_is_guarded(web):
    """Every route of the app, whatever its method, refuses a card number in its body or query
    before anything else runs, even without signing in."""
    routes = [
        c for c in iter_route_contexts(web.app.routes) if isinstance(c.original_route, APIRoute)
    ]
    assert len(routes) > 20
    checked = 0
    for route in routes:
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path or "")
        for method in sorted(set(route.methods or ()) - {"HEAD"}):
            if method in {"POST", "PUT", "PATCH", "DELETE"}:
                response = web.request(method, path, json={"note": f"pay with {VISA}"})
                field = "note"
            else:
                response = web.request(method, path, params={"q": TRACK1})
                field = "query.q"
            assert response.status_code == 422, (method, route.path, response.status_code)
            assert response.json()["errors"][0]["field"] == field, route.path
            checked += 1
    assert checked >= len(routes)


@pytest.mark.policy("IS-SENS-CVV")
def test_card_routes_are_guarded_even_without_the_middleware(platform, card_manager, customer_id):
    """On an app that does not run the guard middleware, the card and customer routers still
    refuse a CVV through their own dependency, and audit it."""
    app = create_app(platform)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not CardDataGuard]
    assert not is_installed(app)
    client = TestClient(app, base_url="https://testserver", client=OFFICE)
    headers = sign_in(client, card_manager)
    response = client.post(
        f"/api/customers/{customer_id}/cards?purpose=order_processing",
        headers=headers,
        json={"pan": VISA, "exp_month": 1, "exp_year": 2031, "security_code": CVV},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "security_code"
    assert len(audit_events(platform, CardAction.CARD_REFUSED)) == 1


@pytest.mark.policy("IS-SENS-MASK", "IS-SENS-TRACK")
def test_forms_repeated_fields_and_text_bodies_are_scanned_too(web):
    """A card number in the second of two form fields or query parameters of the same name, or in
    a plain-text body, is refused like one in JSON."""
    form = web.post("/staff/login", data={"username": ["sam", VISA], "password": "x"})
    assert form.status_code == 422
    assert form.json()["errors"][0]["field"] == "username[1]"
    query = web.get("/api/customers", params=[("purpose", "support"), ("purpose", VISA_LAYOUTS[1])])
    assert query.json()["errors"][0]["field"] == "query.purpose[1]"
    plain = web.post(
        "/api/customers", content=f"track {TRACK2}", headers={"content-type": "text/plain"}
    )
    assert plain.json()["errors"][0] == {"field": "body", "rule": plain.json()["errors"][0]["rule"]}
    assert "IS-SENS-TRACK" in plain.json()["errors"][0]["rule"]
    for response in (form, query, plain):
        assert_no_canary(response.text, "the refusal")
