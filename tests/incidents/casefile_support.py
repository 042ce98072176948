"""Helpers of the case-file tests: an incident with its team at work, evidence uploads, and
where the stored files lie."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from incidents_support import REPORT, TEAM
from sqlalchemy import select

from klaremont.incidents.casefile_models import IncidentEvidence

if TYPE_CHECKING:
    from klaremont.platform import Platform

BROWSER = {"Accept": "text/html"}
LOG = b"2026-03-02 01:10:07 OUT 10.20.4.17 -> 203.0.113.40 tcp/443 bytes=1800000\n" * 40


def open_case(client) -> str:
    """An incident reported by sue, investigated, its team appointed and at work."""
    iso = client("ivy")
    reference = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    iso.post(f"/api/incidents/{reference}/transition", json={"to": "investigating"})
    assert iso.post(f"/api/incidents/{reference}/team", json={"seats": TEAM}).status_code == 200
    return reference


def upload(api, reference: str, content: bytes = LOG, name: str = "egress.log", why: str = ""):
    """POST an evidence file through the API (multipart)."""
    return api.post(
        f"/api/incidents/{reference}/evidence",
        files={"file": (name, content, "text/plain")},
        data={"why": why or "Night-time egress seen from web-01, kept before rotation."},
    )


def stored_path(platform: Platform, reference: str, number: int = 1) -> Path:
    """Where evidence file ``number`` of ``reference`` lies (encrypted) on disk."""
    with platform.unit_of_work() as uow:
        stored = uow.session.scalars(
            select(IncidentEvidence.stored_as).where(IncidentEvidence.number == number)
        ).all()
    matches = [s for s in stored if s.startswith(f"{reference}/")]
    assert len(matches) == 1, matches
    return Path(platform.settings.var_dir) / "evidence" / matches[0]


def form(api, path: str, data: dict[str, str] | None = None, files=None):
    """A console form post, as a browser sends it (the token in the form)."""
    return api.post(
        path,
        data={**(data or {}), "csrf_token": api.headers["X-CSRF-Token"]},
        files=files,
        headers=BROWSER,
        follow_redirects=False,
    )
