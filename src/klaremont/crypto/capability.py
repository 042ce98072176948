"""The keys capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability
from klaremont.crypto.actions import KeyAction
from klaremont.crypto.permissions import KeyPermission
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="keys",
    summary="Per-person data keys, key-encryption keys, rotation and crypto-shredding.",
    cli="klaremont.crypto.cli:app",
    audit_actions=KeyAction,
    permissions=KeyPermission,
    grants={
        Role.ISO: frozenset({KeyPermission.KEYS_MANAGE}),
        Role.TECHNICAL_OPERATIONS: frozenset({KeyPermission.KEYS_MANAGE}),
    },
    sensitive=frozenset({KeyPermission.KEYS_MANAGE}),
    checks=("klaremont.crypto.secure_checks",),
)
