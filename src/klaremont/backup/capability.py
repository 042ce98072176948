"""The backup capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.backup.actions import BackupAction
from klaremont.capabilities import Capability, Subscription
from klaremont.media.announcements import MediaDisposed

CAPABILITY = Capability(
    name="backup",
    summary=(
        "Encrypted backups of both databases (SQLite or PostgreSQL), restores that keep "
        "every erasure, and crypto-shredding of a backup by destroying its key."
    ),
    cli="klaremont.backup.cli:app",
    audit_actions=BackupAction,
    extensions=(("settings", "klaremont.backup.config:BackupSettings"),),
    # a backup file disposed of through the media inventory is crypto-erased
    subscriptions=(Subscription(MediaDisposed, "klaremont.backup.disposed:on_media_disposed"),),
)
