"""Canary: every spelling of a card number, through every input surface, leaves no trace.

Two fresh random card numbers (a Visa and a Mastercard 2-series) are written in every
spelling the outside review used -- dots, slashes, underscores, double spaces, en dashes,
newlines, tabs, zero-width spaces, glued to letters, inside a longer digit run, full-width
digits, track 1 with a prefix, track 2 with a spaced number -- and sent through JSON
bodies, forms (staff console and privacy centre), query strings, path parameters, the
``X-Request-ID`` header, the staff sign-in, a DSR refusal and command-line arguments; the
sign-in and the refusal are also sent to an app without the guard (the services' own
checks). Afterwards the database file and its WAL, the keystore, the var directory (keys,
audit checkpoints, a backup made with the backup service), every table, the logs, the
responses and a portability export are scanned byte for byte for the canaries' digits in
any spelling: 0 hits.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from store_support import OFFICE, guarded_client
from test_canary import file_bytes, table_text
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rights"))

from rights_support import seed_person

from klaremont.backup import service as backup
from klaremont.cli import main as cli_main
from klaremont.cli.context import use_platform
from klaremont.detectors.pan import luhn_complete
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff
from klaremont.testing.staff import sign_in as staff_sign_in
from klaremont.web.app import create_app
from klaremont.web.card_guard import CardDataGuard

VISA = luhn_complete("4" + "".join(secrets.choice("0123456789") for _ in range(14)))
MC2 = luhn_complete("2221" + "".join(secrets.choice("0123456789") for _ in range(11)))
CANARIES = (VISA, MC2)
_WIDE = {ord("0") + d: 0xFF10 + d for d in range(10)}  # full-width digits


def spellings(number: str) -> dict[str, str]:
    """Every spelling of ``number`` the guard must see through, by name."""
    groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    return {
        "plain": number,
        "dots": ".".join(groups),
        "slashes": "/".join(groups),
        "underscores": "_".join(groups),
        "double spaces": "  ".join(groups),
        "en dashes": "\u2013".join(groups),
        "newlines": "\n".join(groups),
        "tabs": "\t".join(groups),
        "zero-width spaces": "\u200b".join(groups),
        "glued before": f"ref{number}",
        "glued after": f"{number}x",
        "in a longer run": f"99{number}000",
        "full-width": number.translate(_WIDE),
        "track 1 with prefix": f"TRKB{number}^DOE/JOHN^2512101?",
        "track 2 spaced": f";{' '.join(groups)}=25121010000?",
    }


ALL = {f"{n[:4]} {name}": text for n in CANARIES for name, text in spellings(n).items()}
#: Spellings a client can put in an HTTP header (printable ASCII).
HEADER_SAFE = {k: v for k, v in ALL.items() if v.isascii() and v.isprintable()}


def canary_hits(haystack: bytes) -> list[str]:
    """The canaries found in ``haystack`` with every non-digit removed (any spelling, any
    separator), read as Latin-1 and as NFKC-normalised UTF-8 (full-width digits)."""
    texts = (
        haystack.decode("latin-1"),
        unicodedata.normalize("NFKC", haystack.decode("utf-8", "ignore")),
    )
    found = []
    for text in texts:
        digits = re.sub(r"[^0-9]", "", text)
        found += [c[:4] + "..." for c in CANARIES if c in digits]
    return found


def _guarded_refusals(web, headers, customer_id, request_id, seen) -> list[tuple[str, int]]:
    """Send every spelling through every guarded surface; (label, status) of each answer.
    Each answer's bytes are added to ``seen`` for the scan."""
    sent = []
    contacts = f"/api/customers/{customer_id}/contacts?purpose=support"
    for name, text in ALL.items():
        answers = {
            "json": web.post(contacts, headers=headers, json={"kind": "query", "summary": text}),
            "query": web.get("/api/customers", params={"purpose": "support", "cursor": text}),
            "path": web.get(f"/api/customers/{quote(text, safe='')}?purpose=support"),
            "staff form": web.post("/staff/login", data={"username": text, "password": "x"}),
            "privacy form": web.post("/privacy/sign-in", data={"email": text}),
            "staff login": web.post("/api/auth/login", json={"username": text, "password": "x"}),
            "dsr refuse": web.post(
                f"/api/rights/requests/{request_id}/refuse",
                headers=headers,
                json={"reason": f"refused: {text}"},
            ),
        }
        sent += [(f"{surface}: {name}", r.status_code) for surface, r in answers.items()]
        seen.extend(r.content for r in answers.values())
    return sent


def _request_ids_and_export(web, agent, customer_id, request_id, seen) -> None:
    """Request ids holding a canary are replaced; the request is fulfilled and exported."""
    for name, text in HEADER_SAFE.items():
        answer = web.get(
            f"/api/customers/{customer_id}?purpose=support",
            headers={**agent, "X-Request-ID": text},
        )
        assert answer.status_code == 200, name
        assert answer.headers["x-request-id"] != text, name
        seen.append(answer.content + answer.headers["x-request-id"].encode())
    officer = {"X-CSRF-Token": staff_sign_in(web, "officer")}
    web.post(
        f"/api/rights/requests/{request_id}/verify-document",
        headers=officer,
        json={"reason": "passport seen at the counter"},
    )
    assert web.post(f"/api/rights/requests/{request_id}/fulfil", headers=officer).is_success
    export = web.get(f"/api/rights/requests/{request_id}/export", params={"format": "json"})
    assert export.status_code == 200, export.text
    seen.append(export.content)


def _without_the_guard(platform, reference, seen) -> None:
    """The services' own checks, on an app without the guard: sign-in and DSR refusal."""
    app = create_app(platform)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not CardDataGuard]
    with TestClient(app, base_url="https://testserver", client=OFFICE) as bare:
        for name, text in ALL.items():
            login = bare.post("/api/auth/login", json={"username": text, "password": "x"})
            assert login.status_code == 401, name
            seen.append(login.content)
        officer = {"X-CSRF-Token": staff_sign_in(bare, "officer")}
        second = bare.post(
            "/api/rights/requests",
            headers=officer,
            json={"customer_reference": reference, "kind": "erasure", "channel": "phone"},
        )
        for name, text in ALL.items():
            refusal = bare.post(
                f"/api/rights/requests/{second.json()['id']}/refuse",
                headers=officer,
                json={"reason": f"refused: {text}"},
            )
            assert refusal.status_code == 422, name
            seen.append(refusal.content)


def _command_line(platform, reference, seen) -> None:
    """Every spelling as a command-line argument: refused with status 2."""
    use_platform(platform)
    try:
        runner = CliRunner()
        for name, text in ALL.items():
            args = ["customers", "contact", reference, "--purpose", "support", "--kind", "query"]
            result = runner.invoke(cli_main.app, [*args, "--summary", text])
            assert result.exit_code == 2, (name, result.output)
            seen.append(result.output.encode())
    finally:
        use_platform(None)


def _scan_everything(platform, settings, logs: str, seen: list[bytes]) -> None:
    """Responses, logs, tables, database files with their WAL, keys, backups: no canary."""
    for body in seen:
        assert canary_hits(body) == [], "a response"
    assert canary_hits(logs.encode()) == [], "the logs"
    assert canary_hits(table_text(platform.engine).encode("utf-8", "replace")) == []
    assert canary_hits(table_text(platform.keystore_engine).encode("utf-8", "replace")) == []
    sqlite = platform.engine.dialect.name == "sqlite"
    database_dirs = [
        Path(engine.url.database).parent
        for engine in (platform.engine, platform.keystore_engine)
        if engine.dialect.name == "sqlite"
    ]
    while_open = file_bytes(settings.var_dir, *database_dirs)
    assert not sqlite or any(p.parent.name == "backups" for p in while_open)
    assert not sqlite or any(p.name.endswith("-wal") for p in while_open)
    platform.dispose()
    for path, content in {**while_open, **file_bytes(settings.var_dir, *database_dirs)}.items():
        assert canary_hits(content.encode("latin-1")) == [], str(path)


@pytest.mark.policy("IS-SENS-MASK", "IS-SENS-TRACK", "IS-SENS-SAFE")
def test_every_spelling_through_every_surface_leaves_no_trace(platform, settings, capfd, caplog):
    """Every spelling is refused on every surface (a request id holding one is replaced), and
    no canary digit string is left in any file, table, log, response, backup or export."""
    caplog.set_level(logging.WARNING, logger="httpx2")
    caplog.set_level(logging.INFO)
    seen: list[bytes] = []
    person = seed_person(platform, "canary")
    make_staff(platform, "agent", Role.SUPPORT_AGENT)
    make_staff(platform, "officer", Role.DPO)
    with guarded_client(platform) as web:
        officer = {"X-CSRF-Token": staff_sign_in(web, "officer")}
        created = web.post(
            "/api/rights/requests",
            headers=officer,
            json={"customer_reference": person.reference, "kind": "access", "channel": "phone"},
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["id"]
        agent = {"X-CSRF-Token": staff_sign_in(web, "agent")}
        sent = _guarded_refusals(web, agent, person.customer_id, request_id, seen)
        assert len(sent) == 7 * len(ALL)
        assert [label for label, status in sent if status != 422] == []
        _request_ids_and_export(web, agent, person.customer_id, request_id, seen)
    _without_the_guard(platform, person.reference, seen)
    _command_line(platform, person.reference, seen)
    if platform.engine.dialect.name == "sqlite":
        backup.create(platform)  # the online backup, as `klaremont backup create` makes it
    logs = capfd.readouterr()
    _scan_everything(platform, settings, logs.out + logs.err + caplog.text, seen)
