"""A logged error says where it happened, never what the code held: no local variables and
a redacted message, in the JSON log and the development console log alike."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from klaremont import logging as klog
from klaremont.testing.staff import OFFICE_CLIENT
from klaremont.web import problems
from klaremont.web.app import create_app

CSRF_TOKEN = "Zq3vN8-kR2tY7wP1xL5cH9mB4sD6fG0jA_eU"  # a made-up token to look for
PASSWORD = "violet-harbour-quietly-9-ferns"  # a made-up password to look for

pytestmark = pytest.mark.usefixtures("restored_logging")


def _exploding_route() -> None:
    csrf_token = CSRF_TOKEN
    password = PASSWORD
    msg = f"could not check {csrf_token} against {password}"
    raise RuntimeError(msg)


@pytest.mark.policy("IS-USE-CRED")
@pytest.mark.parametrize("json", [True, False], ids=["json", "console"])
def test_an_unhandled_error_logs_no_locals_and_no_secret(
    platform, capsys, monkeypatch, json
) -> None:
    """A route failing while its locals and its exception message hold an anti-forgery
    token and a password: the client gets a 500 problem with the security headers, and the
    log has the error type and the frame, but neither value."""
    klog.configure(json=json, level=logging.INFO)
    # Loggers are cached on first use: take one built with the configuration under test.
    monkeypatch.setattr(problems, "log", klog.get_logger("klaremont.web.problems"))
    app = create_app(platform)
    app.add_api_route("/api/explode", _exploding_route, methods=["GET"])
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        response = client.get("/api/explode")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers
    output = capsys.readouterr()
    logged = output.err + output.out
    assert "unhandled_error" in logged
    assert "RuntimeError" in logged
    assert "_exploding_route" in logged  # the traceback is there, without its locals
    assert CSRF_TOKEN not in logged
    assert PASSWORD not in logged
    assert CSRF_TOKEN not in response.text
    assert PASSWORD not in response.text


@pytest.mark.policy("IS-USE-CRED")
def test_another_library_logging_a_traceback_shows_no_locals(capsys) -> None:
    """A standard-library record with a traceback (as a server logs a failed request) goes
    through the same chain: the console renderer prints no local variable."""
    klog.configure(json=False, level=logging.INFO)
    try:
        _exploding_route()
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    logged = capsys.readouterr().err
    assert "Exception in ASGI application" in logged
    assert "_exploding_route" in logged
    assert CSRF_TOKEN not in logged
    assert PASSWORD not in logged
