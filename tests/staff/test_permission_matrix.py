"""Every route of the app x every role: the declared permission is exactly what is enforced.

Each route declares its access rule through its dependencies (``require(Permission.X)``,
``require()`` for any signed-in staff member, or ``public()``); :func:`access_rule_of`
reads it back. A route with no declaration fails this test unless it is on the explicit
public allow-list. Then every route is called as every role, anonymously, and with a
session that must change its password, and the answer must match the declaration
(IS-SENS-NEED, IS-USE-SCAN).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select
from starlette.routing import Mount

from klaremont.audit.models import AuditEvent
from klaremont.staff import service_accounts, service_sessions
from klaremont.staff.models import AccountKind
from klaremont.staff.permissions import Role, role_permissions
from klaremont.staff.web.guard import AccessRule, access_rule_of, require
from klaremont.web.app import create_app

#: Routes that may declare nothing: they are public by nature.
# Infrastructure routes outside the staff permission system: the health probes, and
# /metrics, which has its own rule (KLAREMONT_METRICS_NETWORKS and an optional bearer token,
# tests/observability/test_metrics_endpoint.py).
PUBLIC_ALLOW_LIST = frozenset(
    {
        "/health",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/openapi.json",
        "/static",
        # the API's documentation: the contract, public like /openapi.json
        "/docs",
        "/docs/openapi-3.0.json",
        "/docs/assets",
    }
)
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_PARAM_VALUES = {"role": "support_agent"}


@dataclass(frozen=True)
class Endpoint:
    """One method of one route and the rule it declared."""

    method: str
    path: str
    rule: AccessRule

    def url(self) -> str:
        """The path with every parameter filled with a harmless value (a random id)."""
        return _PARAM.sub(lambda m: _PARAM_VALUES.get(m.group(1), str(uuid.uuid4())), self.path)


def declared_endpoints(app: FastAPI) -> tuple[list[Endpoint], list[str]]:
    """Every endpoint with its rule, and every route that declared none (outside the allow-list)."""
    endpoints: list[Endpoint] = []
    undeclared: list[str] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or ""
        if path in PUBLIC_ALLOW_LIST:
            continue
        if isinstance(route, Mount) or not isinstance(route, APIRoute):
            undeclared.append(f"{path} (not an API route)")
            continue
        rule = access_rule_of(route)
        if rule is None:
            undeclared.append(f"{sorted(context.methods or [])} {path}")
            continue
        endpoints.extend(
            Endpoint(m, path, rule) for m in sorted(context.methods or []) if m != "HEAD"
        )
    return endpoints, undeclared


def _session(platform, account_id, *, must_change: bool = False) -> dict[str, str]:
    with platform.unit_of_work() as uow:
        account = service_accounts.get_account(uow, account_id)
        issued = service_sessions.start_session(
            uow, account, mfa=False, remote=False, must_change_password=must_change
        )
    return {"Cookie": f"klaremont_staff={issued.key}", "X-CSRF-Token": issued.csrf_token}


def _account_for(platform, role: Role) -> uuid.UUID:
    kind = AccountKind.MAINTENANCE if role is Role.MAINTENANCE else AccountKind.REGULAR
    with platform.unit_of_work() as uow:
        created = service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username=f"matrix-{role.value.replace('_', '-')}",
                full_name=f"Matrix {role.value}",
                work_email=f"{role.value}@matrix.example",
                job_role=role,
                vetted_on=uow.clock.now().date(),
                kind=kind,
            ),
            created_by="test",
        )
        return created.account.id


def _call(client, endpoint: Endpoint, headers: dict[str, str]):
    body = {"json": {}} if endpoint.method in {"POST", "PUT", "PATCH", "DELETE"} else {}
    return client.request(
        endpoint.method, endpoint.url(), headers=headers, follow_redirects=False, **body
    )


def _problem_code(response) -> str | None:
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        return response.json()["type"].rsplit("/", 1)[-1]
    return None


@pytest.mark.policy("IS-SENS-NEED", "IS-USE-SCAN")
def test_every_route_declares_its_access_rule(platform):
    """No route of the app is left without a declared permission (or explicit public status)."""
    endpoints, undeclared = declared_endpoints(create_app(platform))
    assert undeclared == []
    assert any(e.path == "/api/staff" for e in endpoints)
    assert any(e.path == "/staff/access-review" for e in endpoints)


@pytest.mark.policy("IS-SENS-NEED")
def test_a_new_route_without_a_declaration_is_caught(platform):
    """The walker flags an undeclared route, and accepts it once it declares a permission."""
    app = create_app(platform)
    extra = APIRouter()

    @extra.get("/api/new-thing")
    def new_thing() -> dict[str, str]:
        return {}

    app.include_router(extra)
    assert "['GET'] /api/new-thing" in declared_endpoints(app)[1]
    declared = APIRouter()

    @declared.get("/api/declared-thing", dependencies=[Depends(require())])
    def declared_thing() -> dict[str, str]:
        return {}

    app2 = create_app(platform)
    app2.include_router(declared)
    endpoints, undeclared = declared_endpoints(app2)
    assert not any("declared-thing" in entry for entry in undeclared)
    assert Endpoint("GET", "/api/declared-thing", AccessRule()) in endpoints


@pytest.mark.policy("IS-SENS-NEED", "IS-USE-SCAN", "IS-AC-LOGIN-LOG")
def test_every_route_times_every_role_matches_the_declaration(platform, office):
    """Allowed roles get past authorisation; every other role gets an audited 403."""
    endpoints, _ = declared_endpoints(office.app)
    guarded = [e for e in endpoints if not e.rule.public]
    denials = 0
    for role in Role:
        account_id = _account_for(platform, role)
        held = role_permissions()[role]
        for endpoint in guarded:
            response = _call(office, endpoint, _session(platform, account_id))
            code = _problem_code(response)
            label = f"{role.value} {endpoint.method} {endpoint.path}: {response.status_code} {code}"
            if endpoint.rule.permissions <= held:
                assert response.status_code not in {401, 403}, label
            else:
                assert response.status_code == 403, label
                assert code == "permission-denied", label
                denials += 1
    with platform.unit_of_work() as uow:
        audited = uow.session.scalar(
            select(func.count()).where(AuditEvent.action == "authz.denied")
        )
    assert audited == denials


@pytest.mark.policy("IS-SENS-NEED")
def test_every_guarded_route_refuses_anonymous_callers(office):
    """Without a session or token, API routes answer 401 and pages send the browser to sign in."""
    endpoints, _ = declared_endpoints(office.app)
    for endpoint in (e for e in endpoints if not e.rule.public):
        response = _call(office, endpoint, {})
        if endpoint.rule.page:
            assert response.status_code == 303, endpoint
            assert response.headers["location"].startswith("/staff/login")
        else:
            assert response.status_code == 401, endpoint


@pytest.mark.policy("IS-PW-60")
def test_every_route_but_the_password_change_refuses_a_must_change_session(platform, office):
    """A session that must change its password gets 403 password-change-required everywhere else."""
    account_id = _account_for(platform, Role.ISO)
    endpoints, _ = declared_endpoints(office.app)
    for endpoint in (e for e in endpoints if not e.rule.public):
        response = _call(office, endpoint, _session(platform, account_id, must_change=True))
        if endpoint.rule.allow_password_change:
            assert response.status_code != 403, endpoint
        else:
            assert response.status_code == 403, endpoint
            assert _problem_code(response) == "password-change-required", endpoint


@pytest.mark.policy("IS-SENS-NEED", "IS-AC-LOGIN-LOG")
def test_every_console_page_refuses_a_role_without_its_permission_with_the_html_page(
    platform, office
):
    """A browser (Accept: text/html) on any console page its role may not use gets the HTML
    403 page, in words and without a stack or a permission id, and the refusal is audited."""
    endpoints, _ = declared_endpoints(office.app)
    pages = [e for e in endpoints if e.rule.page and not e.rule.public and e.rule.permissions]
    assert len({e.path for e in pages}) >= 10  # the console's guarded pages are all walked
    refused = 0
    for role in Role:
        account_id = _account_for(platform, role)
        held = role_permissions()[role]
        headers = {**_session(platform, account_id), "Accept": "text/html"}
        for endpoint in (e for e in pages if not e.rule.permissions <= held):
            response = office.request(
                endpoint.method, endpoint.url(), headers=headers, follow_redirects=False
            )
            label = f"{role.value} {endpoint.method} {endpoint.path}"
            assert response.status_code == 403, label
            assert response.headers["content-type"].startswith("text/html"), label
            assert "<html" in response.text.lower(), label
            assert "Traceback" not in response.text, label
            assert not any(str(p) in response.text for p in endpoint.rule.permissions), label
            refused += 1
    assert refused > 0
    with platform.unit_of_work() as uow:
        audited = uow.session.scalar(
            select(func.count()).where(AuditEvent.action == "authz.denied")
        )
    assert audited == refused
