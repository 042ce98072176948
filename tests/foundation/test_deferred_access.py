"""Access checks deferred to the unit of work (``require_in_unit``) keep the gate's rules.

The customer and card routes run their permission check in the same thread-pool job as
the service call. These tests pin what must not change with that: a refusal still wins
over invalid input, a denial is still audited, and a route that forgets to run the check
fails closed instead of answering.
"""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.customers.permissions import CustomerPermission
from klaremont.staff.permissions import Role
from klaremont.staff.web.guard import Caller, require_in_unit
from klaremont.testing.staff import OFFICE_CLIENT, make_staff, sign_in, staff_client
from klaremont.web.app import create_app
from klaremont.web.deps import UowDep, committed

INVALID_CUSTOMER = {"name": "", "channel": "no-such-channel"}


def _actions(platform) -> list[str]:
    with platform.unit_of_work() as uow:
        return list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


@pytest.mark.policy("IS-USE-SCAN")
def test_permission_refusal_wins_over_invalid_input_and_is_audited(platform) -> None:
    """A marketing user (no customers:update) posting an invalid customer gets 403, not 422,
    and the denial is in the audit log."""
    web = staff_client(platform, make_staff(platform, "mona", Role.MARKETING))
    before = _actions(platform).count("authz.denied")
    response = web.post("/api/customers", json=INVALID_CUSTOMER)
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith("permission-denied")
    assert "errors" not in response.json()  # nothing about the input rules
    assert _actions(platform).count("authz.denied") == before + 1


def test_authentication_wins_over_invalid_input(platform) -> None:
    """Without credentials an invalid body gets 401, as when the check ran first."""
    anonymous = TestClient(
        create_app(platform), base_url="https://testserver", client=OFFICE_CLIENT
    )
    response = anonymous.post("/api/customers", json=INVALID_CUSTOMER)
    assert response.status_code == 401
    response = anonymous.get("/api/customers/C0000001", params={"purpose": "no-such-purpose"})
    assert response.status_code == 401


def test_allowed_caller_still_gets_the_validation_problem(platform) -> None:
    """Once the check passes, invalid input is reported field by field."""
    web = staff_client(platform, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    response = web.get("/api/customers/C0000001", params={"purpose": "no-such-purpose"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["purpose"]


def test_route_that_never_runs_its_check_fails_closed(platform) -> None:
    """A route that answers without ``committed`` gets a 500, never its answer."""
    router = APIRouter()

    @router.get("/api/leaky")
    async def leaky(
        staff: Annotated[Caller, Depends(require_in_unit(CustomerPermission.CUSTOMERS_READ))],
        uow: UowDep,
    ) -> dict[str, str]:
        return {"secret": "the answer"}

    @router.get("/api/careful")
    async def careful(
        staff: Annotated[Caller, Depends(require_in_unit(CustomerPermission.CUSTOMERS_READ))],
        uow: UowDep,
    ) -> dict[str, str]:
        return await committed(uow, lambda: {"roles": ",".join(sorted(staff.roles))})

    app = create_app(platform)
    app.include_router(router)
    make_staff(platform, "sue", Role.SUPPORT_AGENT)
    web = TestClient(
        app, base_url="https://testserver", client=OFFICE_CLIENT, raise_server_exceptions=False
    )
    web.headers["X-CSRF-Token"] = sign_in(web, "sue")
    leaked = web.get("/api/leaky")
    assert leaked.status_code == 500
    assert "the answer" not in leaked.text
    assert web.get("/api/careful").json() == {"roles": "support_agent"}


def test_a_read_route_that_changes_data_fails_and_saves_nothing(platform) -> None:
    """``committed(..., read=True)`` refuses ORM changes: 500, and the change is not saved."""
    from klaremont.db.models import PlatformMeta  # noqa: PLC0415

    router = APIRouter()

    @router.get("/api/sneaky")
    async def sneaky(
        staff: Annotated[Caller, Depends(require_in_unit(CustomerPermission.CUSTOMERS_READ))],
        uow: UowDep,
    ) -> dict[str, str]:
        def work() -> dict[str, str]:
            uow.session.add(PlatformMeta(key="sneaky", value="written"))
            return {"ok": "yes"}

        return await committed(uow, work, read=True)

    app = create_app(platform)
    app.include_router(router)
    make_staff(platform, "sid", Role.SUPPORT_AGENT)
    web = TestClient(
        app, base_url="https://testserver", client=OFFICE_CLIENT, raise_server_exceptions=False
    )
    web.headers["X-CSRF-Token"] = sign_in(web, "sid")
    assert web.get("/api/sneaky").status_code == 500
    with platform.unit_of_work() as uow:
        assert uow.session.get(PlatformMeta, "sneaky") is None


def test_caller_cannot_be_read_before_the_check() -> None:
    """Reading the caller on the event loop, before the check ran, is a programming error."""
    caller = Caller()
    with pytest.raises(RuntimeError, match="access check has not run"):
        _ = caller.roles
    assert "None" in repr(caller)
