"""Scan audit tags. Stored in the hash-chained log: never rename one once released."""

from __future__ import annotations

from enum import StrEnum


class ScanAction(StrEnum):
    """Scan audit tags."""

    RECORDED = "scan.recorded"
    REPORT_READ = "scan.report_read"
