"""Policy and compliance reading permissions.

Declared in the capability's front door (``permissions``), with the roles that hold them
(``grants``); a permission is named ``resource:action``.
"""

from __future__ import annotations

from enum import StrEnum


class PolicyPermission(StrEnum):
    """Policy and compliance reading permissions."""

    COMPLIANCE_READ = "compliance:read"
    POLICY_READ = "policy:read"
