"""Every request body has a size limit, checked before anything reads it: a body over it is
refused with 413 problem+json naming the limit, whether its length is declared or it streams
in without one, and nothing is recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from klaremont.audit.models import AuditEvent
from klaremont.web.body_limit import BodyLimitMiddleware

MIB = 1024 * 1024


def _events(platform) -> int:
    with platform.unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@pytest.mark.policy("DP-SECURE")
def test_a_declared_body_over_the_limit_is_refused_unread(platform, client):
    before = _events(platform)
    refused = client.post(
        "/api/auth/tokens",
        content=b"{" + b" " * MIB + b"}",
        headers={"content-type": "application/json"},
    )
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert body["type"].endswith("/request-too-large")
    assert body["detail"] == "the request body must be at most 1 MiB for this address"
    assert refused.headers["x-content-type-options"] == "nosniff"  # inside the security layer
    assert _events(platform) == before  # not even a card-guard scan or a failed sign-in


@pytest.mark.policy("DP-SECURE")
def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(platform, client):
    sent = []

    def chunks():
        for _ in range(40):
            sent.append(1)
            yield b"x" * 64 * 1024

    refused = client.post("/staff/login", content=chunks(), headers={"content-type": "text/plain"})
    assert refused.status_code == 413
    assert "at most 1 MiB" in refused.text


@pytest.mark.policy("DP-SECURE")
def test_a_body_within_the_limit_goes_through(client):
    answer = client.post("/api/auth/tokens", json={"username": "nobody", "password": "x" * 12})
    assert answer.status_code != 413


def test_routes_that_take_a_file_have_their_own_size():
    limits = BodyLimitMiddleware(
        app=None,  # type: ignore[arg-type]
        default=MIB,
        uploads=[("POST", r"^/api/things/[^/]+/files$", 30 * MIB)],
    )
    assert limits.limit_for("POST", "/api/things/7/files") == 30 * MIB
    assert limits.limit_for("GET", "/api/things/7/files") == MIB
    assert limits.limit_for("POST", "/api/things/7/files/extra") == MIB
