"""What the audit capability announces to the others (``klaremont.events``).

:class:`AuditVerifyFailed` is published when a verification of the chain finds a break,
whoever ran it (the ``audit verify`` command, the console, the API or the nightly
``audit-verify`` job), inside the unit of work that records the verification. The incident
capability subscribes and raises an incident for the ISO (SP-REPORT: the platform reports
too), so the audit capability knows nothing of incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from klaremont.events import DomainEvent


@dataclass(frozen=True, slots=True)
class AuditVerifyFailed(DomainEvent):
    """A verification of the audit log found a break (tampering, a gap or a bad signature)."""

    #: The verification must be recorded even if a follow-up fails.
    tolerate_failures: ClassVar[bool] = True

    first_broken: int | None
    kind: str
    findings: int
    via: str
