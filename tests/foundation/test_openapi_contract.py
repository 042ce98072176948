"""The OpenAPI document is a contract: security, and the error bodies the app really sends.

For a sample of operations each error is triggered for real and its body validated
against the schema the document declares for that operation and status (JSON Schema
2020-12, OpenAPI 3.1's dialect, with jsonschema-rs); the declared examples are checked
against the real answers too.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from klaremont.db import engine as engine_module
from klaremont.platform import Platform
from klaremont.policy.model import SecondFactorPolicy
from klaremont.staff import token_scopes
from klaremont.staff.permissions import Role
from klaremont.staff.web.guard import access_rule_of
from klaremont.testing.staff import OFFICE_CLIENT, STAFF_PASSWORD, make_staff, sign_in
from klaremont.web.app import create_app
from klaremont.web.openapi_problems import EXAMPLES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI
    from httpx2 import Response

    from klaremont.clock import ManualClock
    from klaremont.config import Settings

PROBLEM_JSON = "application/problem+json"
NEW_HIRE = {
    "username": "newhire",
    "full_name": "New Hire",
    "work_email": "newhire@klaremont.example",
    "job_role": "support_agent",
    "vetted_on": "2025-01-06",
}


@pytest.fixture
def app(platform: Platform) -> FastAPI:
    return create_app(platform)


@pytest.fixture
def office(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        yield client


def _token(client: TestClient, username: str, scopes: list[str]) -> dict[str, str]:
    issued = client.post(
        "/api/auth/tokens",
        json={"username": username, "password": STAFF_PASSWORD, "name": "t", "scopes": scopes},
    )
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def _declared_schema(document: dict[str, Any], path: str, method: str, status: int) -> Any:
    """The schema ``document`` declares for this answer, resolvable on its own."""
    response = document["paths"][path][method]["responses"][str(status)]
    media = response["content"][PROBLEM_JSON]
    return {**media["schema"], "components": document["components"]}


def _conforms(document: dict[str, Any], path: str, method: str, answer: Response) -> dict:
    """Assert ``answer`` is problem+json valid against its declared schema; its body."""
    assert answer.headers["content-type"].startswith(PROBLEM_JSON), answer.text
    body: dict[str, Any] = answer.json()
    schema = _declared_schema(document, path, method, answer.status_code)
    validator = jsonschema_rs.Draft202012Validator(schema)
    errors = [error.message for error in validator.iter_errors(body)]
    assert not errors, f"{method.upper()} {path} {answer.status_code}: {errors} in {body}"
    return body


def _like_example(body: dict[str, Any], *, detail: bool = True) -> None:
    """The declared example of this status is what the app says (bar the request id)."""
    example = EXAMPLES[str(body["status"])]
    keys = ("type", "title", "status", "detail") if detail else ("type", "title", "status")
    assert {k: example[k] for k in keys} == {k: body[k] for k in keys}
    assert set(example) == set(body)


def test_real_errors_match_the_declared_problem_schemas(platform: Platform, office, app):
    """401, 403, 404, 409 and 422 from real requests validate against what each operation
    declares, and look like the declared examples."""
    document = app.openapi()
    make_staff(platform, "iris", Role.ISO)
    make_staff(platform, "sam", Role.SUPPORT_AGENT)

    unsigned = office.get("/api/staff")
    assert unsigned.status_code == 401
    _like_example(_conforms(document, "/api/staff", "get", unsigned))

    failed = office.post("/api/auth/login", json={"username": "iris", "password": "wrong-1"})
    assert failed.status_code == 401
    body = _conforms(document, "/api/auth/login", "post", failed)
    declared = document["paths"]["/api/auth/login"]["post"]["responses"]["401"]
    assert declared["content"][PROBLEM_JSON]["example"] == body  # the example is this answer

    invalid = office.post(
        "/api/auth/tokens",
        json={"username": "iris", "password": STAFF_PASSWORD, "name": "t", "scopes": ["root"]},
    )
    assert invalid.status_code == 422
    body = _conforms(document, "/api/auth/tokens", "post", invalid)
    _like_example(body)
    assert body["errors"] == EXAMPLES["422"]["errors"]

    reader = _token(office, "iris", ["read"])
    refused = office.post("/api/auth/logout", headers=reader)
    assert refused.status_code == 403
    _like_example(_conforms(document, "/api/auth/logout", "post", refused))

    agent = _token(office, "sam", ["read"])
    denied = office.get("/api/staff", headers=agent)
    assert denied.status_code == 403
    assert _conforms(document, "/api/staff", "get", denied)["type"].endswith("permission-denied")

    missing = office.get(f"/api/staff/{uuid.uuid4()}", headers=reader)
    assert missing.status_code == 404
    _like_example(_conforms(document, "/api/staff/{account_id}", "get", missing))

    office.headers["X-CSRF-Token"] = sign_in(office, "iris")  # a fresh console session
    assert office.post("/api/staff", json=NEW_HIRE).status_code == 201
    clash = office.post("/api/staff", json=NEW_HIRE)
    assert clash.status_code == 409
    _like_example(_conforms(document, "/api/staff", "post", clash))


def test_a_busy_database_answers_the_declared_503(
    settings: Settings, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection holds SQLite's write lock past the busy timeout: the 503 body and
    its Retry-After header are what the document declares."""
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("holds SQLite's database-wide write lock; PostgreSQL locks rows")
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    platform = Platform.build(settings, clock=clock)
    platform.policy = platform.policy.model_copy(
        update={"second_factor": SecondFactorPolicy(required_for_privileged=False)}
    )
    try:
        make_staff(platform, "iris", Role.ISO)
        app = create_app(platform)
        document = app.openapi()
        with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as office:
            office.headers["X-CSRF-Token"] = sign_in(office, "iris")
            holder = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
            holder.isolation_level = None
            try:
                holder.execute("BEGIN IMMEDIATE")
                busy = office.post("/api/staff", json=NEW_HIRE)
            finally:
                holder.execute("ROLLBACK")
                holder.close()
        assert busy.status_code == 503
        declared = document["paths"]["/api/staff"]["post"]["responses"]["503"]
        assert busy.headers["retry-after"] == "1"
        assert "Retry-After" in declared["headers"]
        _like_example(_conforms(document, "/api/staff", "post", busy))
    finally:
        platform.dispose()


def test_every_declared_example_is_valid_against_its_schema(app):
    """Each problem example in the document validates against the schema beside it."""
    document = app.openapi()
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get(PROBLEM_JSON)
                if media is None:
                    continue
                schema = _declared_schema(document, path, method, int(status))
                validator = jsonschema_rs.Draft202012Validator(schema)
                assert validator.is_valid(media["example"]), (path, method, status)
                checked += 1
    assert checked > 300


def test_guarded_operations_declare_security_and_their_token_scope(app):
    """Every guarded operation needs a bearer token (with its scope) or the console
    session; public ones (sign-in, token issuance, health) need nothing."""
    document = app.openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiToken"] == {**schemes["apiToken"], "type": "http", "scheme": "bearer"}
    assert schemes["staffSession"]["in"] == "cookie"
    guarded = 0
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        rule = access_rule_of(route)
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            if rule is None or rule.public:
                assert "security" not in operation, route.path
                assert "401" not in operation["responses"] or route.path.startswith("/api/auth")
                continue
            scope = token_scopes.needed(rule.sensitive, method).value
            assert operation["security"] == [{"apiToken": [scope]}, {"staffSession": []}]
            assert f"API token scope `{scope}`" in operation["description"]
            assert {"401", "403"} <= set(operation["responses"])
            guarded += 1
    assert guarded > 50
    public = {("/api/auth/login", "post"), ("/api/auth/tokens", "post"), ("/health", "get")}
    for path, method in public:
        assert "security" not in document["paths"][path][method]
    assert document["paths"]["/api/staff"]["post"]["x-token-scope"] == "admin"
    assert document["paths"]["/api/staff"]["get"]["x-token-scope"] == "read"
