"""The media capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.backup.announcements import BackupCreated
from klaremont.capabilities import Capability, NavEntry, Subscription
from klaremont.media.actions import MediaAction
from klaremont.media.permissions import MediaPermission
from klaremont.staff.permissions import Role

READ = frozenset({MediaPermission.MEDIA_READ})
MANAGE = READ | {MediaPermission.MEDIA_MANAGE}

CAPABILITY = Capability(
    name="media",
    summary=(
        "The inventory of media holding personal data (backups, exports, disks, laptops, "
        "tapes, paper archives): movements, stocktakes, and approved, witnessed disposal."
    ),
    models=("klaremont.media.models",),
    migrations="migrations",
    routers=("klaremont.media.web.api:router", "klaremont.media.web.pages:router"),
    cli="klaremont.media.cli:app",
    audit_actions=MediaAction,
    permissions=MediaPermission,
    grants={
        Role.ISO: MANAGE | {MediaPermission.MEDIA_APPROVE},
        Role.TECHNICAL_OPERATIONS: MANAGE,
        Role.DPO: READ,
        Role.DIRECTOR: READ,
    },
    data=frozenset({MediaPermission.MEDIA_READ, MediaPermission.MEDIA_MANAGE}),
    checks=("klaremont.media.checks",),
    demo="klaremont.media.demo_data",
    nav=(NavEntry("Media", "/staff/media", MediaPermission.MEDIA_READ, order=60),),
    subscriptions=(Subscription(BackupCreated, "klaremont.media.backups:on_backup_created"),),
    extensions=(("evidence_files", "klaremont.media.audit_pack:files"),),
    templates="templates",
)
