"""Scan permissions (``resource:action``), declared in the capability's front door.

``scans:read`` lists recorded scans and opens their reports, which show where card data or
personal data was found with masked samples only (the ISO, technical operations, the DPO,
directors); ``scans:run`` starts a scan of Klaremont's own data from the console or the API
(the ISO, technical operations).
"""

from __future__ import annotations

from enum import StrEnum


class ScanPermission(StrEnum):
    """Scan permissions."""

    SCANS_READ = "scans:read"
    SCANS_RUN = "scans:run"
