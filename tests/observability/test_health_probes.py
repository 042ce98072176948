"""Liveness and readiness: ``/health/live`` touches nothing, ``/health/ready`` names the part
that is not ready (problem+json, 503), ``/health`` answers as before."""

from __future__ import annotations

from fastapi.testclient import TestClient

from klaremont.platform import Platform
from klaremont.web.app import create_app

NOWHERE = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1


def _get(platform: Platform, path: str):
    with TestClient(create_app(platform), base_url="https://testserver") as client:
        return client.get(path)


def test_ready_when_migrated_and_keys_loaded(client) -> None:
    """A migrated platform with its keys is ready; every check says ok."""
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {
        "database",
        "database_migrations",
        "keystore",
        "keystore_migrations",
        "keys",
    }
    assert set(body["checks"].values()) == {"ok"}
    assert client.get("/health").json()["status"] == "ok"  # unchanged


def test_live_touches_no_database(settings, clock) -> None:
    """Both databases unreachable: live still answers 200, ready and /health say 503."""
    broken = settings.model_copy(update={"database_url": NOWHERE, "keystore_url": NOWHERE})
    platform = Platform.build(broken, clock=clock)
    try:
        assert _get(platform, "/health/live").json() == {"status": "ok"}
        ready = _get(platform, "/health/ready")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        detail = ready.json()["detail"]
        assert "database: unreachable" in detail
        assert "keystore: unreachable" in detail
        assert "127.0.0.1" not in detail  # no address, no driver message
        assert _get(platform, "/health").status_code == 503
    finally:
        platform.dispose()


def test_not_ready_before_migrations(settings, clock, tmp_path) -> None:
    """A data store that was never migrated is reachable but not at the latest migration."""
    fresh = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"})
    platform = Platform.build(fresh, clock=clock)
    try:
        ready = _get(platform, "/health/ready")
        assert ready.status_code == 503
        detail = ready.json()["detail"]
        assert detail == "database_migrations: not at the latest migration"
    finally:
        platform.dispose()


def test_uvicorn_leaves_the_forwarded_headers_to_the_app() -> None:
    """The serve command's uvicorn options turn uvicorn's own proxy-header trust off."""
    from klaremont.web.app import uvicorn_options  # noqa: PLC0415 - the one test of it

    assert uvicorn_options() == {"proxy_headers": False}
