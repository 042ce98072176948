"""Wireless permissions (``resource:action``), declared in the capability's front door.

``wifi:manage`` issues and revokes guest codes and registers access points (the shop-floor
support staff hand codes to customers; technical operations run the network);
``wifi:devices`` lets a member of staff register their own devices; ``wifi:approve`` is
technical operations', who approve staff devices and remove them.
"""

from __future__ import annotations

from enum import StrEnum


class WifiPermission(StrEnum):
    """Wireless permissions."""

    WIFI_MANAGE = "wifi:manage"
    WIFI_DEVICES = "wifi:devices"
    WIFI_APPROVE = "wifi:approve"
