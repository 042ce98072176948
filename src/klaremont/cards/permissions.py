"""Cardholder data permissions.

Declared in the capability's front door (``permissions``), with the roles that hold them
(``grants``); a permission is named ``resource:action``.
"""

from __future__ import annotations

from enum import StrEnum


class CardPermission(StrEnum):
    """Cardholder data permissions."""

    CARDS_READ = "cards:read"
    CARDS_MANAGE = "cards:manage"
