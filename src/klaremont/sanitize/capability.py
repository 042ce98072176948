"""The sanitise capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability, NavEntry
from klaremont.sanitize.actions import SanitizeAction
from klaremont.sanitize.permissions import SanitizePermission
from klaremont.staff.permissions import Role

READ = frozenset({SanitizePermission.SANITIZE_READ})

CAPABILITY = Capability(
    name="sanitize",
    summary=(
        "Development copies: a sanitised database that keeps its shape, keys and formats "
        "and none of the people, verified before it is kept (IS-SENS-DEV)."
    ),
    models=("klaremont.sanitize.models",),
    migrations="migrations",
    routers=("klaremont.sanitize.web.pages:router",),
    cli="klaremont.sanitize.cli:app",
    audit_actions=SanitizeAction,
    permissions=SanitizePermission,
    grants={Role.ISO: READ, Role.TECHNICAL_OPERATIONS: READ},
    nav=(NavEntry("Dev copies", "/staff/sanitize", SanitizePermission.SANITIZE_READ, order=62),),
    checks=("klaremont.sanitize.checks",),
    extensions=(("settings", "klaremont.sanitize.settings:SanitizeSettings"),),
    templates="templates",
)
