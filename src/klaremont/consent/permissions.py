"""Consent and marketing permissions.

Declared in the capability's front door (``permissions``), with the roles that hold them
(``grants``); a permission is named ``resource:action``.
"""

from __future__ import annotations

from enum import StrEnum


class ConsentPermission(StrEnum):
    """Consent and marketing permissions."""

    CONSENT_READ = "consent:read"
    CONSENT_MANAGE = "consent:manage"
    MARKETING_SEND = "marketing:send"
