"""Data subject request permissions.

Declared in the capability's front door (``permissions``), with the roles that hold them
(``grants``); a permission is named ``resource:action``.
"""

from __future__ import annotations

from enum import StrEnum


class RightsPermission(StrEnum):
    """Data subject request permissions."""

    DSR_READ = "dsr:read"
    DSR_LOG = "dsr:log"  # record a request taken by phone or letter (the DPO decides on it)
    DSR_MANAGE = "dsr:manage"
