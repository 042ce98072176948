"""The backup capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.backup.actions import BackupAction
from klaremont.capabilities import Capability

CAPABILITY = Capability(
    name="backup",
    summary="Online backup and restore of the embedded database, re-applying the erasure ledger.",
    cli="klaremont.backup.cli:app",
    audit_actions=BackupAction,
)
