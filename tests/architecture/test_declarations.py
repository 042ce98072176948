"""The capability declarations are the one source: audit tags, permissions and role grants,
navigation and event subscriptions are the union of what the capabilities declare."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import pytest

from klaremont import capabilities, events
from klaremont.audit.events import AuditAction, action_tag
from klaremont.capabilities import Capability, DeclarationError
from klaremont.customers.announcements import CustomerRectified
from klaremont.staff.actions import StaffAction
from klaremont.staff.permissions import Role, StaffPermission, role_permissions
from klaremont.web.render import console_nav


class _Clash(StrEnum):
    LOGIN = "auth.login"  # already StaffAction.AUTH_LOGIN


class _Perm(StrEnum):
    PROBE = "probe:run"


@pytest.fixture
def extra():
    """Register capabilities for one test, then forget them."""
    names: list[str] = []

    def add(capability: Capability) -> None:
        names.append(capability.name)
        capabilities.register(capability)

    yield add
    for name in names:
        capabilities.unregister(name)


def test_the_audit_catalogue_is_the_union_of_the_declarations():
    catalogue = capabilities.action_catalogue()
    assert catalogue["auth.login"] is StaffAction.AUTH_LOGIN
    assert catalogue["audit.read"] is AuditAction.AUDIT_READ
    assert catalogue["card.refused"].value == "card.refused"
    assert action_tag("dsr.create").value == "dsr.create"
    with pytest.raises(ValueError, match="not a valid audit action"):
        action_tag("no.such.tag")


def test_a_tag_declared_twice_is_refused(extra):
    extra(Capability(name="clash", summary="x", audit_actions=_Clash, package="klaremont.staff"))
    with pytest.raises(DeclarationError, match="declared by two capabilities"):
        capabilities.action_catalogue()


def test_role_grants_come_from_the_declarations(extra):
    assert StaffPermission.STAFF_UNLOCK in role_permissions()[Role.ISO]
    assert "customers:read" in role_permissions()[Role.SUPPORT_AGENT]
    extra(
        Capability(
            name="probe",
            summary="x",
            permissions=_Perm,
            grants={Role.ENGINEER: frozenset({_Perm.PROBE})},
            package="klaremont.staff",
        )
    )
    assert _Perm.PROBE in role_permissions()[Role.ENGINEER]


def test_a_grant_of_an_undeclared_permission_is_refused(extra):
    extra(
        Capability(
            name="sloppy",
            summary="x",
            grants={Role.ENGINEER: frozenset({_Perm.PROBE})},
            package="klaremont.staff",
        )
    )
    with pytest.raises(DeclarationError, match="which no capability declares"):
        capabilities.role_grants()


def test_the_console_navigation_follows_permissions():
    dpo = {str(p) for p in role_permissions()[Role.DPO]}
    support = {str(p) for p in role_permissions()[Role.SUPPORT_AGENT]}
    assert "Stale-data review" in [e.label for e in console_nav(dpo)]
    assert "Stale-data review" not in [e.label for e in console_nav(support)]
    assert next(e.label for e in console_nav(None)) == "Home"


@dataclass(frozen=True, slots=True)
class _Tolerant(events.DomainEvent):
    tolerate_failures: ClassVar[bool] = True
    n: int


def test_a_failing_subscriber_stops_the_change_unless_the_event_tolerates_it(platform):
    def broken(uow, event):
        raise RuntimeError("down")

    events.subscribe(CustomerRectified, "test-broken", broken)
    events.subscribe(_Tolerant, "test-broken", broken)
    try:
        with platform.unit_of_work() as uow:
            with pytest.raises(events.HandlerFailed, match="test-broken"):
                events.publish(uow, CustomerRectified(customer_ids=(), channel="staff_correction"))
            assert events.publish(uow, _Tolerant(n=1)) == {"test-broken": "failed: RuntimeError"}
    finally:
        events.unsubscribe(CustomerRectified, "test-broken")
        events.unsubscribe(_Tolerant, "test-broken")


def test_declared_subscribers_are_found():
    handlers = events.handlers_for(CustomerRectified)
    assert any(name.startswith("accuracy:") for name in handlers)
