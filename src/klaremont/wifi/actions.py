"""Wireless audit tags (stored in the hash-chained log: never rename one once released).

Logins themselves are not audit events: every accepted or refused RADIUS login is a row of
``wifi_logins`` (kept ``wifi.login_record_days``), written at the rate the network asks.
"""

from __future__ import annotations

from enum import StrEnum


class WifiAction(StrEnum):
    """Wireless audit tags."""

    CODES_ISSUED = "wifi.codes_issued"
    CODE_REVOKED = "wifi.code_revoked"
    ACCESS_POINT_ADDED = "wifi.access_point_added"
    ACCESS_POINT_REMOVED = "wifi.access_point_removed"
    DEVICE_REQUESTED = "wifi.device_requested"
    DEVICE_APPROVED = "wifi.device_approved"
    DEVICE_REMOVED = "wifi.device_removed"
    DEVICES_REVOKED = "wifi.devices_revoked"
    DISCONNECTS_SENT = "wifi.disconnects_sent"
    RECORDS_PURGED = "wifi.records_purged"
