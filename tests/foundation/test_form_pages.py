"""The form page of a refused form: its rules in plain words, and what happens when a page
cannot be drawn again (the generic error page, still naming the field, never a 500)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Annotated, Any

import anyio
import pytest
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from klaremont.web import problems
from klaremont.web.form_pages import (
    FormPage,
    FormRetry,
    field_of,
    form_page,
    page_staff,
    plain_rule,
    submitted_fields,
)

HTML = {"accept": "text/html"}


def _broken(retry: FormRetry) -> HTMLResponse:
    msg = f"cannot draw {retry.request.url.path}"
    raise RuntimeError(msg)


def _shown(retry: FormRetry) -> HTMLResponse:
    carried = retry.submitted.get("next", "")
    return HTMLResponse(f"<form>{'|'.join(retry.errors)}{carried}</form>", status_code=422)


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.post("/staff/broken")
    @form_page(_broken, {"note": "Your note"})
    def broken(note: Annotated[str, Form(max_length=5)]) -> str:
        return note

    @app.post("/staff/shown")
    @form_page(_shown, {"note": "Your note"})
    def shown(request: Request, note: Annotated[str, Form(max_length=5)]) -> str:
        return note

    return app


def test_a_page_that_cannot_be_drawn_falls_back_to_the_error_page(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """The draw fails: the generic console error page (422) still names the field, and the
    log says which page failed without a traceback or the value typed."""
    caplog.set_level(logging.DEBUG)
    client = TestClient(_app(), raise_server_exceptions=False)
    response = client.post("/staff/broken", data={"note": "typed-secret"}, headers=HTML)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Note: String should have at most 5 characters" in response.text
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "form_page_failed" in logged
    assert "typed-secret" not in logged + response.text
    assert "Traceback" not in logged


def test_the_page_is_for_browsers_only() -> None:
    """A script asking for JSON gets problem+json naming the raw field; a browser the page."""
    client = TestClient(_app())
    script = client.post("/staff/shown", data={"note": "far too long"})
    assert script.status_code == 422
    assert script.headers["content-type"] == "application/problem+json"
    assert script.json()["errors"][0]["field"] == "note"
    page = client.post("/staff/shown", data={"next": "/staff/x"}, headers=HTML)
    assert page.text == "<form>Your note: must be filled in/staff/x</form>"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("multipart/form-data", b"no boundary"), ("application/json", b"{}")],
)
def test_a_body_that_is_no_form_carries_nothing(content_type: str, body: bytes) -> None:
    """Nothing to carry on from a body that is no form (or cannot be parsed as one)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/staff/shown",
        "query_string": b"",
        "headers": [(b"content-type", content_type.encode())],
    }
    assert anyio.run(submitted_fields, Request(scope, receive)) == {}


@pytest.mark.parametrize(
    ("error", "rule"),
    [
        ({"type": "missing", "msg": "Field required"}, "must be filled in"),
        ({"type": "string_too_short", "ctx": {"min_length": 1}}, "must be filled in"),
        ({"type": "string_too_short", "ctx": {"min_length": 64}}, "must be at least 64 characters"),
        ({"type": "string_too_long", "ctx": {"max_length": 36}}, "must be at most 36 characters"),
        (
            {"type": "uuid_parsing", "msg": "Input should be a valid UUID", "input": "x"},
            "is not a reference this form gave; reload the page and try again",
        ),
        ({"type": "control_character", "msg": "must not contain control characters"}, None),
        ({"type": "odd"}, "is not valid"),
    ],
)
def test_rules_in_plain_words(error: dict[str, Any], rule: str | None) -> None:
    """Each rule as a person reads it; never the input value."""
    said = plain_rule(error)
    assert said == (rule or error["msg"])
    assert "x" not in said.split()


def test_fields_and_labels() -> None:
    """A location names its field; a field the form does not label still reads as words."""
    assert field_of(("body", "new_password")) == "new_password"
    assert field_of(("body",)) == "form"
    page = FormPage(draw=_shown, labels={"code": "Your code"})
    assert page.label("code") == "Your code"
    assert page.label("confirm_password") == "Confirm password"


def test_page_staff_never_loads_from_an_ended_unit_of_work() -> None:
    """Nobody signed in: no frame. Someone the access check did not remember: plain values,
    a flag of their session only if it is still loaded (never a lazy load)."""
    request = SimpleNamespace(state=SimpleNamespace())
    assert page_staff(request) is None  # type: ignore[arg-type] # a stand-in request
    session = SimpleNamespace(must_change_password=True)
    request.state.staff = SimpleNamespace(
        username="ines", permissions={"a"}, csrf_token="t", account_id=None, session=session
    )
    kept = page_staff(request)  # type: ignore[arg-type] # a stand-in request
    assert kept is not None
    assert kept.username == "ines"
    assert kept.must_change_password is True
    request.state.staff.session = None
    kept = page_staff(request)  # type: ignore[arg-type] # a stand-in request
    assert kept is not None
    assert kept.must_change_password is False
