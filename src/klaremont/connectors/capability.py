"""The connectors capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability
from klaremont.connectors.actions import ConnectorAction
from klaremont.connectors.permissions import ConnectorPermission
from klaremont.staff.permissions import Role

READ = frozenset({ConnectorPermission.CONNECTORS_READ})
MANAGE = READ | {ConnectorPermission.CONNECTORS_MANAGE}

CAPABILITY = Capability(
    name="connectors",
    summary=(
        "External SQL stores declared as data: access, portability and erasure requests "
        "reach them (traversal by foreign keys, erasure children first, one transaction "
        "per store, a record per store, retry of a failed store)."
    ),
    models=("klaremont.connectors.models",),
    migrations="migrations",
    routers=("klaremont.connectors.web.api:router",),
    cli="klaremont.connectors.cli:app",
    audit_actions=ConnectorAction,
    permissions=ConnectorPermission,
    grants={Role.DPO: MANAGE, Role.ISO: READ},
    data=frozenset({ConnectorPermission.CONNECTORS_MANAGE}),
    demo="klaremont.connectors.demo_data",
    extensions=(
        ("external_access", "klaremont.connectors.service:external_access"),
        ("external_erasure", "klaremont.connectors.service:external_erasure"),
        ("settings", "klaremont.connectors.settings:DatasetSettings"),
        ("my_work", "klaremont.connectors.my_work:items"),
    ),
)
