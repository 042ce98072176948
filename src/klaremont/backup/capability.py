"""The backup capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.backup.actions import BackupAction
from klaremont.capabilities import Capability

CAPABILITY = Capability(
    name="backup",
    summary=(
        "Encrypted backups of both databases (SQLite or PostgreSQL), restores that keep "
        "every erasure, and crypto-shredding of a backup by destroying its key."
    ),
    cli="klaremont.backup.cli:app",
    audit_actions=BackupAction,
    extensions=(("settings", "klaremont.backup.config:BackupSettings"),),
)
