"""Media permissions (``resource:action``), declared in the capability's front door.

``media:read`` opens the inventory and the disposal register (the ISO, technical
operations, the DPO, directors); ``media:manage`` registers, moves and counts items and
requests and carries out disposals (technical operations, the ISO); ``media:approve``
approves a disposal or a movement (the ISO alone).
"""

from __future__ import annotations

from enum import StrEnum


class MediaPermission(StrEnum):
    """Media permissions."""

    MEDIA_READ = "media:read"
    MEDIA_MANAGE = "media:manage"
    MEDIA_APPROVE = "media:approve"
