"""Audit log permissions.

Declared in the capability's front door (``permissions``), with the roles that hold them
(``grants``); a permission is named ``resource:action``.
"""

from __future__ import annotations

from enum import StrEnum


class AuditPermission(StrEnum):
    """Audit log permissions."""

    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
