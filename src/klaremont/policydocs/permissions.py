"""Policy document permissions (``resource:action``), declared in the capability's front door.

``policies:read`` opens the policy documents and acknowledges their current version (every
member of staff); ``policies:manage`` sees who is overdue on acknowledgements and section
reviews, publishes versions and records reviews (the DPO and the ISO).
"""

from __future__ import annotations

from enum import StrEnum


class PolicyDocPermission(StrEnum):
    """Policy document permissions."""

    POLICIES_READ = "policies:read"
    POLICIES_MANAGE = "policies:manage"
