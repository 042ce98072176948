"""Who may see an incident and who may act on it (SP-IRT: "only team members, directors and
the DPO see an incident"), enforced in the service queries, not only in the pages.

- The ISO (``incidents:manage``) sees and acts on every incident.
- Directors and the DPO (``incidents:read``) see every incident; they act on one only
  when they sit on its team.
- Anyone else sees, and acts on, only the incidents whose team they sit on.

The reporter is told the reference when they report and is not shown the case afterwards
unless one of the rules above lets them see it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from klaremont.incidents.permissions import IncidentPermission


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: their username (``None`` for the operator at the shell) and the
    permissions their roles hold."""

    username: str | None
    permissions: frozenset[str]

    @classmethod
    def of(cls, username: str | None, permissions: Collection[object]) -> Viewer:
        """From a signed-in member of staff's username and permissions."""
        return cls(username, frozenset(str(p) for p in permissions))

    @classmethod
    def operator(cls) -> Viewer:
        """The operator at the shell (``klaremont incidents ...``): the ISO's reach."""
        return cls(None, frozenset(p.value for p in IncidentPermission))

    @property
    def manages(self) -> bool:
        """The ISO's permission: every incident, every action."""
        return IncidentPermission.INCIDENTS_MANAGE.value in self.permissions

    @property
    def oversees(self) -> bool:
        """Sees every incident (the ISO, directors, the DPO)."""
        return self.manages or IncidentPermission.INCIDENTS_READ.value in self.permissions

    def may_see(self, members: Collection[str]) -> bool:
        """Whether this viewer may see an incident whose team is ``members``."""
        return self.oversees or (self.username is not None and self.username in members)

    def may_act(self, members: Collection[str]) -> bool:
        """Whether this viewer may log actions on an incident whose team is ``members``."""
        return self.manages or (self.username is not None and self.username in members)
