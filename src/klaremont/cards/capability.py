"""The cards capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability
from klaremont.cards.actions import CardAction
from klaremont.cards.permissions import CardPermission
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="cards",
    summary="Card handling: tokenisation, masked card reads, refusal of card data everywhere else.",
    routers=("klaremont.cards.web.api:router",),
    audit_actions=CardAction,
    permissions=CardPermission,
    grants={
        Role.SUPPORT_AGENT: frozenset({CardPermission.CARDS_READ, CardPermission.CARDS_MANAGE}),
        Role.FINANCE: frozenset({CardPermission.CARDS_READ}),
    },
    data=frozenset({CardPermission.CARDS_READ, CardPermission.CARDS_MANAGE}),
    checks=("klaremont.cards.checks",),
    demo="klaremont.cards.demo_data",
    extensions=(
        ("customer_view", "klaremont.cards.view:contribute"),
        ("cli:customers", "klaremont.cards.cli:register"),
    ),
)
