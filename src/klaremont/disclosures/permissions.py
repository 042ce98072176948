"""Disclosure permissions (``resource:action``), declared in the front door.

``disclosures:request`` records a request (the DPO, support); ``disclosures:approve``
approves or refuses one (directors only, never their own request: the service checks the
role and the requester too); ``disclosures:export`` builds the one-time export of an
approved disclosure (the DPO); ``disclosures:read`` opens the register (the DPO, the ISO,
directors).
"""

from __future__ import annotations

from enum import StrEnum


class DisclosurePermission(StrEnum):
    """Disclosure permissions."""

    DISCLOSURES_READ = "disclosures:read"
    DISCLOSURES_REQUEST = "disclosures:request"
    DISCLOSURES_APPROVE = "disclosures:approve"
    DISCLOSURES_EXPORT = "disclosures:export"
