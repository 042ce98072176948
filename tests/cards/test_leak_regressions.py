"""Regression tests, one per leak the outside review found (card data reached storage,
logs or responses): request ids, failed sign-in names, DSR refusal reasons, spellings the
guard missed, normalisation after the check, paths in logs, command-line arguments."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from store_support import OFFICE, audit_events, guarded_client
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rights"))

from rights_support import seed_person

from klaremont.audit.models import AuditEvent
from klaremont.cards.actions import CardAction
from klaremont.cli import main as cli_main
from klaremont.cli.context import use_platform
from klaremont.errors import ValidationFailed
from klaremont.logging import redact as log_redact
from klaremont.rights.service import clean_reason
from klaremont.staff.actions import StaffAction
from klaremont.staff.permissions import Role
from klaremont.staff.text import unknown_name_digest
from klaremont.testing.staff import make_staff, sign_in
from klaremont.web.app import create_app
from klaremont.web.card_guard import CardDataGuard

PAN = "4111111111111111"


def unguarded(platform) -> TestClient:
    """A client of the app without the guard middleware: the services' own checks answer."""
    app = create_app(platform)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not CardDataGuard]
    return TestClient(app, base_url="https://testserver", client=OFFICE)


@pytest.mark.policy("IS-SENS-MASK")
@pytest.mark.parametrize(
    "request_id",
    [PAN, "4111.1111.1111.1111", f"ref{PAN}", "x" * 65, "has space", "abc/def-ghij", "short"],
)
def test_an_unsafe_request_id_is_replaced_never_stored_or_echoed(platform, request_id):
    """A client request id holding a card number, longer than 64 characters or outside
    ``[A-Za-z0-9._-]`` is replaced by a fresh one: not echoed, not in the audit log."""
    make_staff(platform, "agent", Role.SUPPORT_AGENT)
    person = seed_person(platform, "rid")
    with guarded_client(platform) as web:
        token = sign_in(web, "agent")
        answer = web.get(
            f"/api/customers/{person.customer_id}?purpose=support",
            headers={"X-CSRF-Token": token, "X-Request-ID": request_id},
        )
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] != request_id
    with platform.unit_of_work() as uow:
        stored = uow.session.scalars(select(AuditEvent.request_id)).all()
    assert request_id not in stored
    assert answer.headers["x-request-id"] in stored


def test_a_safe_request_id_is_kept(platform):
    """A short id of the safe alphabet with no card number is kept and echoed."""
    with guarded_client(platform) as web:
        answer = web.get("/health", headers={"X-Request-ID": "trace-2026.12.06_abc"})
    assert answer.headers["x-request-id"] == "trace-2026.12.06_abc"


@pytest.mark.policy("IS-SENS-MASK", "IS-AC-LOGIN-LOG")
def test_a_failed_sign_in_never_stores_the_name_as_typed(platform):
    """Even without the guard, a failed sign-in with an unknown name records a keyed digest
    of the name, never the text (here a card number glued to letters)."""
    typed = f"ref{PAN}"
    with unguarded(platform) as bare:
        answer = bare.post("/api/auth/login", json={"username": typed, "password": "x"})
    assert answer.status_code == 401
    (event,) = audit_events(platform, StaffAction.AUTH_LOGIN)
    secret = platform.settings.secret_key.get_secret_value()
    assert event.details_dict()["unknown_username_digest"] == unknown_name_digest(secret, typed)
    assert "4111" not in event.details


@pytest.mark.policy("IS-SENS-MASK", "DP-SECURE")
def test_a_refusal_reason_is_sealed_and_refuses_card_data(platform):
    """The reason given when refusing a DSR is stored sealed (not readable in the table),
    shown to staff through the API, and refused when it holds card data on any surface."""
    make_staff(platform, "officer", Role.DPO)
    person = seed_person(platform, "refused")
    reason = "manifestly unfounded: the seventh identical request this month"
    with guarded_client(platform) as web:
        headers = {"X-CSRF-Token": sign_in(web, "officer")}
        created = web.post(
            "/api/rights/requests",
            headers=headers,
            json={"customer_reference": person.reference, "kind": "access", "channel": "phone"},
        )
        request_id = created.json()["id"]
        card = web.post(
            f"/api/rights/requests/{request_id}/refuse",
            headers=headers,
            json={"reason": "customer read out 4111\n1111\n1111\n1111"},
        )
        assert card.status_code == 422
        refused = web.post(
            f"/api/rights/requests/{request_id}/refuse", headers=headers, json={"reason": reason}
        )
        assert refused.status_code == 200, refused.text
        assert refused.json()["refusal_reason"] == reason
    with platform.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT refusal_reason FROM dsr_requests WHERE id = :id"),
            {"id": uuid.UUID(request_id).hex if _sqlite(platform) else request_id},
        ).scalar_one()
    assert isinstance(stored, bytes | memoryview)
    assert b"manifestly" not in bytes(stored)
    with pytest.raises(ValidationFailed, match="card"):
        clean_reason(f"the card {PAN[:8]} {PAN[8:]} was quoted")


def _sqlite(platform) -> bool:
    return platform.engine.dialect.name == "sqlite"


@pytest.mark.policy("IS-SENS-MASK")
def test_a_card_number_in_a_path_is_masked_in_the_access_log_and_the_problem(platform, capfd):
    """``/api/customers/ref4111…`` is refused; the access log line and the problem's
    ``instance`` carry the path with the number masked, and no query string value."""
    with guarded_client(platform) as web:
        answer = web.get(f"/api/customers/ref{PAN}", params={"purpose": "secret-value"})
    assert answer.status_code == 422
    assert unquote(answer.json()["instance"]) == "/api/customers/ref•••• 1111"
    captured = capfd.readouterr()
    logs = captured.out + captured.err
    masked = "/api/customers/ref•••• 1111"
    assert masked in logs or json.dumps(masked)[1:-1] in logs  # console or JSON rendering
    assert PAN not in logs
    assert "secret-value" not in logs


@pytest.mark.policy("IS-SENS-MASK")
def test_log_redaction_masks_card_data_at_any_depth():
    """A careless log call with a card number in a nested value logs the last four only."""
    event = log_redact(
        None,
        "info",
        {"event": "x", "body": {"items": [f"card {PAN[:4]}.{PAN[4:8]}.{PAN[8:12]}.{PAN[12:]}"]}},
    )
    assert event["body"] == {"items": ["card •••• 1111"]}


@pytest.mark.policy("IS-SENS-MASK")
def test_command_line_arguments_holding_card_data_are_refused(platform, caplog):
    """A card number in any command-line argument stops the command before it runs: the
    message names the argument, never the value, and the refusal is audited."""
    caplog.set_level(logging.INFO)
    person = seed_person(platform, "cli")
    use_platform(platform)
    try:
        result = CliRunner().invoke(
            cli_main.app,
            [
                *("customers", "contact", person.reference, "--purpose", "support"),
                *("--kind", "query", f"--summary=read out {PAN[:4]}\t{PAN[4:]}"),
            ],
        )
    finally:
        use_platform(None)
    assert result.exit_code == 2
    assert "error: --summary holds card data" in result.output
    assert "4111" not in result.output
    (event,) = audit_events(platform, CardAction.CARD_REFUSED)
    assert event.resource == "cli"
    assert event.details_dict() == {"fields": ["--summary"], "rules": ["card-number"]}
    use_platform(platform)
    try:
        positional = CliRunner().invoke(cli_main.app, ["customers", "orders", f"x{PAN}"])
    finally:
        use_platform(None)
    assert positional.exit_code == 2
    assert "error: argument 3 holds card data" in positional.output
