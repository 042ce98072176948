"""A bounded schemathesis run over the whole API: no server error, every answer as documented.

Every operation of ``/openapi.json`` is called in-process with schema-valid and
schema-invalid input (a fixed number of examples each, derandomised, so a run is
reproducible) by three callers: nobody, a director (refused customer data) and a support
agent (allowed it), with real bearer tokens. Every schemathesis check runs on every
answer: no 5xx, documented status codes, content types, headers and bodies, valid input
accepted and invalid input refused. It runs on SQLite and PostgreSQL like every test.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from klaremont.staff.permissions import Role
from klaremont.testing.staff import OFFICE_CLIENT, STAFF_PASSWORD, make_staff
from klaremont.web.app import create_app

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from klaremont.platform import Platform

EXAMPLES = 3  # per operation, caller and generation mode: ~1,300 requests in all
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
WORKFLOWS = 4  # stateful scenarios ...
WORKFLOW_STEPS = 8  # ... of at most this many calls each


def _in_the_office(app: ASGIApp) -> ASGIApp:
    """The app as reached over TLS from inside the office network."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": OFFICE_CLIENT, "scheme": "https"}
        await app(scope, receive, send)

    return wrapped


def _callers(platform: Platform, app: ASGIApp) -> dict[str, dict[str, str]]:
    """Headers of each caller: nobody, a director and a support agent (bearer tokens)."""
    callers: dict[str, dict[str, str]] = {"anonymous": {}}
    with TestClient(app, base_url="https://testserver", client=OFFICE_CLIENT) as client:
        for name, role in (("dina", Role.DIRECTOR), ("sam", Role.SUPPORT_AGENT)):
            make_staff(platform, name, role)
            issued = client.post(
                "/api/auth/tokens",
                json={"username": name, "password": STAFF_PASSWORD, "name": "fuzz"},
            )
            assert issued.status_code == 201, issued.text
            callers[role.value] = {"Authorization": f"Bearer {issued.json()['token']}"}
    return callers


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    """Call ``operation`` with ``EXAMPLES`` generated cases; the failures found."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers)
        except BaseExceptionGroup as failures:  # schemathesis's FailureGroup
            found.extend(str(f).splitlines()[0] for f in failures.exceptions)
        except AssertionError as failure:
            found.append(str(failure).splitlines()[0])

    with contextlib.suppress(Unsatisfiable):  # nothing to make invalid: no parameters or body
        run()
    return found


def test_fuzzed_api_has_no_server_errors_and_conforms(platform) -> None:
    """No 5xx and every answer conforming, for every operation, caller and mode."""
    app = create_app(platform)
    callers = _callers(platform, app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", _in_the_office(app))
    failures: dict[str, int] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for caller, headers in callers.items():
            for mode in MODES:
                for failure in _fuzz(operation, mode, headers):
                    key = f"{operation.label} [{caller}, {mode.value}]: {failure}"
                    failures[key] = failures.get(key, 0) + 1
    assert operations > 50  # the whole API was walked
    assert not failures, "\n".join(f"{n}x {key}" for key, n in sorted(failures.items()))


def test_fuzzed_workflows_have_no_server_errors_and_conform(platform) -> None:
    """Stateful: operations chained through the links schemathesis infers (a created or
    listed resource's id fed to the operations that take it), as a support agent."""
    app = create_app(platform)
    headers = _callers(platform, app)[Role.SUPPORT_AGENT.value]
    schema = schemathesis.openapi.from_asgi("/openapi.json", _in_the_office(app))

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:  # noqa: ARG002 - every call alike
            return {"headers": headers}

    Workflow.run(
        settings=settings(
            max_examples=WORKFLOWS,
            stateful_step_count=WORKFLOW_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
