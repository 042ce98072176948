"""An unhandled error is ONE JSON log line that keeps its stack trace, with card numbers,
bearer tokens and named secrets redacted (the message) or absent (local variables)."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from klaremont import logging as klog
from klaremont.testing.staff import OFFICE_CLIENT
from klaremont.web import problems
from klaremont.web.app import create_app

CARD = "4111 1111 1111 1111"  # a test card number (passes the Luhn check)
CARD_DIGITS = CARD.replace(" ", "")
BEARER = "k7Q-short-tok"  # short: not caught as a long token run, only as a bearer value
API_SECRET = "hunter2"


class _Holder:
    """A local whose repr carries the card number and the token."""

    def __repr__(self) -> str:
        return f"<Holder card={CARD_DIGITS} auth=Bearer {BEARER}>"


def _charge_route() -> None:
    holder = _Holder()
    header = f"Authorization: Bearer {BEARER}"
    msg = f"charge failed for card {CARD} with {header} (api_key={API_SECRET}) via {holder!r}"
    raise ValueError(msg)


def test_the_detector_knows_the_card() -> None:
    """The test's card number is one the detector masks (so the test below can fail)."""
    assert CARD_DIGITS not in klog.redact_text(CARD_DIGITS)
    assert CARD not in klog.redact_text(CARD)


@pytest.mark.policy("IS-SENS-MASK")
@pytest.mark.policy("IS-USE-CRED")
def test_an_unhandled_error_is_one_redacted_json_line_with_its_trace(
    platform, capsys, monkeypatch
) -> None:
    """The route's message and its local's repr carry a card number and a bearer token; the
    log holds exactly one JSON line for the error, with the trace (frames, type, redacted
    message) and neither value; the client gets a 500 problem without them either."""
    klog.configure(json=True, level=logging.INFO)
    monkeypatch.setattr(problems, "log", klog.get_logger("klaremont.web.problems"))
    app = create_app(platform)
    app.add_api_route("/api/charge", _charge_route, methods=["GET"])
    capsys.readouterr()
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        response = client.get("/api/charge")
    assert response.status_code == 500
    logged = capsys.readouterr()
    text = logged.err + logged.out
    for secret in (CARD, CARD_DIGITS, BEARER, API_SECRET):
        assert secret not in text
        assert secret not in response.text
    lines = [json.loads(line) for line in logged.err.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line.get("event") == "unhandled_error"]
    assert len(errors) == 1
    trace = errors[0]["exception"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "_charge_route" in trace  # the frame is there
    assert "builtins.ValueError: charge failed for card •••• 1111" in trace
    assert "Bearer [redacted]" in trace
    assert "api_key=[redacted]" in trace
    assert errors[0]["level"] == "error"
    assert errors[0]["request_id"] == response.headers["x-request-id"]
