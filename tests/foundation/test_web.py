"""The web skeleton: health, problem+json, security headers, request ids, OpenAPI."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field

from klaremont.errors import ValidationFailed
from klaremont.web.app import create_app


def test_health_reports_both_databases(client) -> None:
    """GET /health answers 200 with the data store and keystore reachable."""
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["keystore"] == "ok"


def test_health_degrades_when_keystore_is_gone(client, platform) -> None:
    """When the keystore cannot be reached, health says so with 503."""
    from klaremont.db.engine import make_engine  # noqa: PLC0415

    platform.keystore_engine.dispose()
    platform.keystore_engine = make_engine("postgresql://nobody@127.0.0.1:1/none")  # refused
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["keystore"] == "unavailable"
    assert response.json()["status"] == "degraded"


@pytest.mark.policy("IS-SENS-TLS")
def test_security_headers_on_every_response(client) -> None:
    """Responses carry CSP, nosniff, frame denial, no-store and a request id."""
    response = client.get("/health")
    headers = response.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert len(headers["x-request-id"]) >= 8
    assert "strict-transport-security" not in headers  # development serves http


@pytest.mark.policy("IS-SENS-TLS")
def test_hsts_when_public_url_is_https(platform) -> None:
    """HSTS is sent when the platform is served over https."""
    from fastapi.testclient import TestClient  # noqa: PLC0415

    platform.settings = platform.settings.model_copy(update={"public_url": "https://k.example"})
    with TestClient(create_app(platform), base_url="https://testserver") as client:
        assert "max-age=" in client.get("/health").headers["strict-transport-security"]


def test_request_id_is_echoed_only_when_safe(client) -> None:
    """A well-formed incoming request id is kept; a malformed one is replaced."""
    kept = client.get("/health", headers={"x-request-id": "abc12345-test"})
    assert kept.headers["x-request-id"] == "abc12345-test"
    replaced = client.get("/health", headers={"x-request-id": "<script>alert(1)</script>"})
    assert "<" not in replaced.headers["x-request-id"]


def test_unknown_route_is_problem_json(client) -> None:
    """A 404 is an RFC 9457 problem document."""
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["type"].endswith("/not-found")
    assert body["instance"] == "/no/such/route"


class _Card(BaseModel):
    holder: str = Field(min_length=2)
    number: str = Field(pattern=r"^\d{4}$")


def _app_with_test_routes(platform):
    app = create_app(platform)
    router = APIRouter()

    @router.post("/_test/echo")
    def echo(card: _Card) -> dict[str, str]:
        return {"holder": card.holder}

    @router.get("/_test/domain")
    def domain() -> None:
        raise ValidationFailed.single("email", "must be an e-mail address")

    @router.get("/_test/crash")
    def crash() -> None:
        raise RuntimeError("secret-value-4111111111111111 in an internal error")

    app.include_router(router)
    return app


def test_validation_error_names_field_and_rule_without_echo(platform) -> None:
    """A 422 names each field and rule and never echoes the submitted value."""
    from fastapi.testclient import TestClient  # noqa: PLC0415

    with TestClient(_app_with_test_routes(platform), base_url="https://testserver") as client:
        response = client.post("/_test/echo", json={"holder": "X", "number": "98765-secret"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"holder", "number"}
    assert "98765-secret" not in response.text


def test_domain_error_maps_to_problem(platform) -> None:
    """A domain ValidationFailed becomes a 422 problem naming the field and rule."""
    from fastapi.testclient import TestClient  # noqa: PLC0415

    with TestClient(_app_with_test_routes(platform), base_url="https://testserver") as client:
        response = client.get("/_test/domain")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "email", "rule": "must be an e-mail address"}]


def test_unexpected_error_hides_details(platform, capsys) -> None:
    """An unhandled error is a bare 500 problem: no stack trace, no message, no card number."""
    from fastapi.testclient import TestClient  # noqa: PLC0415

    app = _app_with_test_routes(platform)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        response = client.get("/_test/crash")
    assert response.status_code == 500
    assert "4111111111111111" not in response.text
    assert "Traceback" not in response.text
    assert response.json()["request_id"]
    captured = capsys.readouterr()
    assert "4111111111111111" not in captured.err + captured.out


def test_openapi_is_served(client) -> None:
    """The OpenAPI contract is served and lists the health route."""
    spec = client.get("/openapi.json").json()
    assert "/health" in spec["paths"]


def test_routers_with_event_handlers_are_not_flattened(platform) -> None:
    """A router whose start-up handler would be lost in the flat route table is refused."""
    from fastapi import FastAPI  # noqa: PLC0415

    from klaremont.web.app import include_flat  # noqa: PLC0415

    router = APIRouter()

    @router.get("/x")
    def x() -> None: ...

    router.on_startup.append(lambda: None)
    with pytest.raises(ValueError, match="event handlers"):
        include_flat(FastAPI(), router)


def test_settle_for_serving_freezes_start_up_objects(platform) -> None:
    """Objects built at start-up leave the collector's rounds (no long pauses later)."""
    import gc  # noqa: PLC0415

    from klaremont.web.app import settle_for_serving  # noqa: PLC0415

    create_app(platform)
    try:
        settle_for_serving()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
