"""Connector permissions (``resource:action``), declared in the front door.

``connectors:read`` lists the declared stores, checks them and reads a store's runs (the
DPO, the ISO); ``connectors:manage`` reads a person's rows in the stores and retries a
failed erasure (the DPO).
"""

from __future__ import annotations

from enum import StrEnum


class ConnectorPermission(StrEnum):
    """Connector permissions."""

    CONNECTORS_READ = "connectors:read"
    CONNECTORS_MANAGE = "connectors:manage"
