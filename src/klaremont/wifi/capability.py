"""The guest and staff wireless capability's front door: everything it contributes."""

from __future__ import annotations

from klaremont.capabilities import Capability
from klaremont.staff.permissions import Role
from klaremont.wifi.actions import WifiAction
from klaremont.wifi.permissions import WifiPermission

MANAGE = frozenset({WifiPermission.WIFI_MANAGE})
DEVICES = frozenset({WifiPermission.WIFI_DEVICES})

CAPABILITY = Capability(
    name="wifi",
    summary=(
        "Guest and staff wireless: a RADIUS server for the access points, guest codes, "
        "staff devices by MAC address, the opening hours (Wireless Network Access section)."
    ),
    models=("klaremont.wifi.models",),
    migrations="migrations",
    routers=("klaremont.wifi.web.api:router",),
    cli="klaremont.wifi.cli:app",
    audit_actions=WifiAction,
    permissions=WifiPermission,
    grants={
        # Every member of staff may register their own devices; maintenance accounts are
        # for one job and get none.
        **{role: DEVICES for role in Role if role is not Role.MAINTENANCE},
        # Support staff hand guest codes to customers in the shop.
        Role.SUPPORT_AGENT: DEVICES | MANAGE,
        # Technical operations run the network: codes, access points, device approval.
        Role.TECHNICAL_OPERATIONS: DEVICES | MANAGE | {WifiPermission.WIFI_APPROVE},
    },
    data=frozenset({WifiPermission.WIFI_MANAGE, WifiPermission.WIFI_APPROVE}),
    extensions=(("settings", "klaremont.wifi.settings:WifiSettings"),),
)
