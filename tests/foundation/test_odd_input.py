"""Odd input never gets a 500: control characters, malformed bodies, times at the edges.

A caller who may not use a route is refused (401, or 403 with an ``authz.denied`` audit
event) before their input is judged; one who may gets a 4xx naming the field and the rule.
Every answer carries the security headers and no ``server`` header.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.staff.permissions import Role
from klaremont.testing.staff import OFFICE_CLIENT, make_staff, staff_client
from klaremont.web.app import create_app


def _denials(platform) -> list[str | None]:
    with platform.unit_of_work() as uow:
        query = select(AuditEvent.resource).where(AuditEvent.action == "authz.denied")
        return list(uow.session.scalars(query.order_by(AuditEvent.seq)))


def _secure(response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-request-id"]
    assert "server" not in response.headers


def _anonymous(platform) -> TestClient:
    return TestClient(create_app(platform), base_url="https://testserver", client=OFFICE_CLIENT)


@pytest.mark.policy("IS-USE-SCAN")
@pytest.mark.parametrize("character", ["%17", "%00", "%7F", "%C2%9B"])
def test_a_refused_caller_with_a_control_character_in_a_path_id_is_refused_and_audited(
    platform, character
) -> None:
    """A director (no customer data) asking for ``/api/customers/<control>`` gets a 403, and
    the refusal is in the audit log with the path percent-encoded; a support agent gets a
    422 naming the field."""
    director = staff_client(platform, make_staff(platform, "dina", Role.DIRECTOR))
    refused = director.get(f"/api/customers/{character}", params={"purpose": "security"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"].endswith("/permission-denied")
    _secure(refused)
    assert _denials(platform)[-1] == f"route:GET /api/customers/{character}"
    agent = staff_client(platform, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    invalid = agent.get(f"/api/customers/{character}", params={"purpose": "support"})
    assert invalid.status_code == 422, invalid.text
    assert invalid.json()["errors"] == [
        {"field": "customer", "rule": "must not contain control characters"}
    ]
    _secure(invalid)


def test_control_characters_in_query_and_json_text_name_the_field(platform) -> None:
    """NUL (which PostgreSQL refuses in text) and other controls in a query value or a JSON
    string: 422 naming the field, on every database."""
    iso = staff_client(platform, make_staff(platform, "ivy", Role.ISO))
    for field in ("resource", "actor_id"):
        response = iso.get("/api/audit/events", params={field: "a\x00b"})
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    agent = staff_client(platform, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    response = agent.post(
        "/api/customers/search", params={"purpose": "support"}, json={"email": "a\x00@b.example"}
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["email"]
    assert "\x00" not in response.text


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ('{"username": "dana", "password": ', "is not valid JSON: expecting value at character 33"),
        ('{"username": "dana",, }', "is not valid JSON"),
    ],
)
def test_a_body_that_is_not_json_is_named_as_the_body_with_the_reason(platform, body, rule):
    """Not a character offset as if it were a field: the body, why and where."""
    client = TestClient(create_app(platform))
    response = client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "body"
    assert error["rule"].startswith(rule)
    assert "dana" not in response.text


@pytest.mark.parametrize("path", ["/api/auth/tokens", "/api/customers", "/nowhere"])
@pytest.mark.parametrize("levels", [65, 1_000, 100_000])
def test_json_nested_too_deeply_is_refused_naming_the_body(platform, path, levels) -> None:
    """JSON nesting past the parser's stack (a RecursionError, once a 500 on every route,
    unauthenticated) or merely past any real need is a 422 naming the body, before any
    route reads it; 64 levels still reach the route."""
    client = _anonymous(platform)
    deep = '{"a":' * levels + "1" + "}" * levels
    response = client.post(path, content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "body", "rule": "nests more than 64 levels deep"}
    ]
    _secure(response)
    fine = client.post(
        "/api/auth/tokens",
        content='{"a":' * 63 + "[1]" + "}" * 63,
        headers={"content-type": "application/json"},
    )
    assert fine.status_code == 422  # the route's own answer: no username or password
    assert "nests more" not in fine.text
    assert {e["field"] for e in fine.json()["errors"]} >= {"username", "password"}


@pytest.mark.parametrize("path", ["/api/customers", "/api/auth/login", "/staff/password"])
def test_a_form_body_without_boundary_is_refused_with_the_headers(platform, path) -> None:
    """``multipart/form-data`` without a boundary: never a 500; the refusal of a caller
    who may not use the route first (401), else 400; the security headers either way."""
    headers = {"content-type": "multipart/form-data"}
    anonymous = _anonymous(platform).post(
        path, content=b"x=1", headers=headers, follow_redirects=False
    )
    if path == "/api/auth/login":  # public: nothing to refuse, the body is bad
        assert anonymous.status_code in {400, 422}, anonymous.text
    else:  # sign in first (the console sends a browser to its sign-in page)
        assert anonymous.status_code in {401, 303}, anonymous.text
    _secure(anonymous)
    agent = staff_client(platform, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    signed_in = agent.post(path, content=b"x=1", headers=headers, params={"purpose": "support"})
    assert 400 <= signed_in.status_code < 500, signed_in.text
    _secure(signed_in)


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"since": "0001-01-01T00:00:00+01:00"}, True),
        ({"until": "9999-12-31T23:59:59-01:00"}, True),
        ({"since": "9999-12-31T23:59:59-01:00"}, False),
        ({"until": "0001-01-01T00:00:00+01:00"}, False),
        ({"since": "0645-12-11T04:13:23+21:54"}, True),
    ],
)
def test_audit_time_filters_at_the_edges_answer_correctly(platform, params, found) -> None:
    """Times beyond the years the log can store answer as the window says, never a 500."""
    iso = staff_client(platform, make_staff(platform, "ivy", Role.ISO))
    response = iso.get("/api/audit/events", params=params)
    assert response.status_code == 200, response.text
    assert bool(response.json()["events"]) is found


def test_a_time_filter_without_offset_names_the_field(platform) -> None:
    """A time without a time zone is ambiguous: 422 naming the field."""
    iso = staff_client(platform, make_staff(platform, "ivy", Role.ISO))
    response = iso.get("/api/audit/events", params={"since": "2026-03-02T09:00:00"})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["since"]


def test_a_control_character_in_a_page_address_is_named_as_the_address(platform) -> None:
    """On a console page a person reads "the page address", not the route's parameter name."""
    agent = staff_client(platform, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    page = agent.get("/staff/policies/%01abc", headers={"accept": "text/html"})
    assert page.status_code == 422, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "The page address: must not contain control characters" in page.text
    assert "Slug" not in page.text
    api = agent.get("/api/customers/%01", params={"purpose": "support"})
    assert api.json()["errors"][0]["field"] == "customer"  # the API keeps the field's name


def test_an_unknown_key_is_named_but_not_echoed_whole(platform) -> None:
    """A 200,000-character unknown key is named by its first 63 characters and an ellipsis,
    in the errors and the detail alike."""
    client = _anonymous(platform)
    key = "k" * 200_000
    response = client.post("/api/auth/tokens", json={"username": "x", "password": "y", key: 1})
    assert response.status_code == 422, response.text
    named = [e["field"] for e in response.json()["errors"] if e["field"].startswith("kkk")]
    assert named == ["k" * 63 + "…"]
    assert len(response.text) < 5_000


def test_a_json_body_that_is_not_utf8_names_the_body(platform) -> None:
    """A Latin-1 byte in JSON is a 400 naming the body and what to send, not the framework's
    bare "error parsing the body"."""
    response = _anonymous(platform).post(
        "/api/auth/tokens",
        content=b'{"username": "caf\xe9", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"] == [
        {"field": "body", "rule": "could not be read: send JSON as UTF-8 text"}
    ]
    _secure(response)


@pytest.mark.parametrize("days", [True, "5", 5.0, 9223372036854775807])
def test_a_whole_number_is_not_a_flag_a_text_or_a_fraction(platform, days) -> None:
    """``days`` must be a JSON whole number in range: ``true``, ``"5"``, ``5.0`` and 2^63-1
    are refused naming the field (``true`` was once read as 1)."""
    response = _anonymous(platform).post(
        "/api/auth/tokens", json={"username": "x", "password": "y", "days": days}
    )
    assert response.status_code == 422, response.text
    assert "days" in {e["field"] for e in response.json()["errors"]}
