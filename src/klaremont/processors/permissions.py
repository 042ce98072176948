"""Processor register permissions (``resource:action``), declared in the front door.

``processors:read`` opens the register and the record of processing (the DPO, the ISO,
directors); ``processors:manage`` adds processors and systems, records contract, DPA,
transfer risk assessment and attestation dates, and records shares (the DPO);
``processors:support_share`` opens, exports and resolves support shares (PP-SUPPORT: support
agents and the DPO).
"""

from __future__ import annotations

from enum import StrEnum


class ProcessorPermission(StrEnum):
    """Processor register permissions."""

    PROCESSORS_READ = "processors:read"
    PROCESSORS_MANAGE = "processors:manage"
    SUPPORT_SHARES = "processors:support_share"
