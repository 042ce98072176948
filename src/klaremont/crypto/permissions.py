"""Key management permissions.

Declared in the capability's front door (``permissions``), with the roles that hold them
(``grants``); a permission is named ``resource:action``.
"""

from __future__ import annotations

from enum import StrEnum


class KeyPermission(StrEnum):
    """Key management permissions."""

    KEYS_MANAGE = "keys:manage"
