"""Compliance audit tags. Stored in the hash-chained log: never rename one once released."""

from __future__ import annotations

from enum import StrEnum


class ComplianceAction(StrEnum):
    """Compliance audit tags."""

    EVIDENCE_EXPORTED = "compliance.evidence_exported"
    STATUS_CHANGED = "compliance.status_changed"
