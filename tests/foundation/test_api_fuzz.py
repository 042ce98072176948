"""A bounded schemathesis run over the whole API: no server error, every answer as documented.

The schemathesis engine (what ``schemathesis run`` drives) calls every operation of
``/openapi.json`` in-process: the schema's examples, the coverage phase's edge cases
(boundaries, wrong types, missing fields, NUL bytes and other characters a pattern
forbids), generated valid and invalid input, and -- for the support agent -- stateful
workflows through the links it infers. Every check runs on every answer: no 5xx,
documented status codes, content types, headers and bodies, valid input accepted and
invalid input refused. Callers: nobody, a director (refused customer data) and a support
agent (allowed it), with real bearer tokens. A fixed seed and deterministic generation
make a run reproducible; it runs on SQLite and PostgreSQL like every test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import StopReason, events, from_schema

from klaremont.staff.permissions import Role
from klaremont.testing.staff import OFFICE_CLIENT, STAFF_PASSWORD, make_staff
from klaremont.web.app import create_app

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from klaremont.platform import Platform

SEED = 20261206
# (caller, role or None, phases besides the schema's examples). Nobody gets generated input
# (every answer is the same refusal); the director the coverage phase's edge cases (refusals,
# audited, before any input is judged); the support agent, who gets past the checks, the
# edge cases, generated input and stateful workflows.
CALLERS = [
    ("anonymous", None, ("fuzzing",)),
    ("director", Role.DIRECTOR, ("coverage",)),
    ("support-agent", Role.SUPPORT_AGENT, ("coverage", "fuzzing", "stateful")),
]
EXAMPLES = 1  # generated examples per operation and mode


def _in_the_office(app: ASGIApp) -> ASGIApp:
    """The app as reached over TLS from inside the office network."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": OFFICE_CLIENT, "scheme": "https"}
        await app(scope, receive, send)

    return wrapped


def _bearer(platform: Platform, app: ASGIApp, role: Role) -> dict[str, str]:
    """The ``Authorization`` header of a new staff member with ``role`` (a real API token)."""
    name = make_staff(platform, f"fuzz-{role.value}".replace("_", "-"), role)
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        issued = client.post(
            "/api/auth/tokens",
            json={
                "username": name,
                "password": STAFF_PASSWORD,
                "name": "fuzz",
                "scopes": ["read", "write"],
            },
        )
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def _config(headers: dict[str, str], phases: tuple[str, ...]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": headers,
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
                "mode": "all",
                "allow-x00": True,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": "coverage" in phases},
                "fuzzing": {"enabled": "fuzzing" in phases},
                "stateful": {"enabled": "stateful" in phases},
            },
        }
    )


def _first_line(failure: object) -> str:
    return str(failure).splitlines()[0]


def _problems(event: Any) -> list[str]:
    """What one engine event reports as wrong (a failed check, an error), as lines."""
    if isinstance(event, events.ScenarioFinished) and event.status.value != "success":
        if event.status.value == "skip":
            return []
        found = [
            f"{event.recorder.label}: {check.name}: {_first_line(check.failure_info.failure)}"
            for checks in event.recorder.checks.values()
            for check in checks
            if check.failure_info is not None
        ]
        return found or [f"{event.recorder.label}: {event.status.value}"]
    if isinstance(event, events.NonFatalError):
        return [f"{event.label}: error: {str(event.value).splitlines()[0]}"]
    if isinstance(event, events.FatalError):
        return [f"fatal: {event.exception!r}"]
    if isinstance(event, events.EngineFinished) and event.stop_reason is not StopReason.COMPLETED:
        return [f"stopped: {event.stop_reason.value}"]
    return []


@pytest.mark.parametrize(
    ("role", "phases"),
    [pytest.param(role, phases, id=caller) for caller, role, phases in CALLERS],
)
def test_fuzzed_api_has_no_server_errors_and_conforms(
    platform, role: Role | None, phases: tuple[str, ...]
) -> None:
    """No 5xx and every answer conforming, for every operation, as this caller."""
    app = create_app(platform)
    headers = _bearer(platform, app, role) if role is not None else {}
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", _in_the_office(app), config=_config(headers, phases)
    )
    failures: dict[str, int] = {}
    scenarios = 0
    for event in from_schema(schema).execute():
        scenarios += isinstance(event, events.ScenarioFinished)
        for problem in _problems(event):
            failures[problem] = failures.get(problem, 0) + 1
    assert scenarios > 70  # every operation, in each phase run
    assert not failures, "\n".join(f"{n}x {line}" for line, n in sorted(failures.items()))
