"""Connector audit tags. Stored in the hash-chained log: never rename one."""

from __future__ import annotations

from enum import StrEnum


class ConnectorAction(StrEnum):
    """Connector audit tags."""

    READ = "connector.read"
    ERASED = "connector.erased"
    FAILED = "connector.failed"
    RETRIED = "connector.retried"
