"""Who may open the compliance view and download the evidence pack.

Declared in the capability's front door (``permissions``), with the roles that hold it
(``grants``): directors, the DPO and the ISO. A permission is named ``resource:action``.
"""

from __future__ import annotations

from enum import StrEnum


class CompliancePermission(StrEnum):
    """The compliance view's permission."""

    COMPLIANCE_VIEW = "compliance:view"
