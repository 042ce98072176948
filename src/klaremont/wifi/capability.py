"""The guest and staff wireless capability's front door: everything it contributes."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job, NavEntry, Subscription
from klaremont.staff.announcements import StaffDisabled, StaffLeft
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
    routers=(
        "klaremont.wifi.web.api:router",
        "klaremont.wifi.web.portal:router",
        "klaremont.wifi.web.pages:router",
    ),
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
    checks=("klaremont.wifi.checks",),
    demo="klaremont.wifi.demo_data",
    nav=(
        NavEntry("Guest wireless", "/staff/wifi", WifiPermission.WIFI_MANAGE, order=60),
        NavEntry("My devices", "/staff/wifi/devices", WifiPermission.WIFI_DEVICES, order=61),
    ),
    subscriptions=(
        Subscription(StaffLeft, "klaremont.wifi.leavers:on_left", "wifi:devices_of_leaver"),
        Subscription(
            StaffDisabled, "klaremont.wifi.leavers:on_disabled", "wifi:devices_of_disabled"
        ),
    ),
    jobs=(
        Job(
            "wifi-closing",
            "klaremont.wifi.closing:run",
            timedelta(minutes=5),
            "after the wireless closes, send Disconnect-Requests for sessions accounting "
            "still shows open and record the answers",
        ),
        Job(
            "wifi-purge",
            "klaremont.wifi.purge:run",
            timedelta(hours=24),
            "delete wireless logins, ended sessions and removed staff devices past their retention",
        ),
    ),
    extensions=(
        ("settings", "klaremont.wifi.settings:WifiSettings"),
        ("retention_targets", "klaremont.wifi.retention:targets"),
    ),
    templates="templates",
)
