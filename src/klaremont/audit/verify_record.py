"""Recording one verification of the audit log, however it was run.

Every way of running the check (command, console, API, the nightly job) records it the same
way: an ``audit.verify`` event whose outcome is the result, and, when something is broken,
an :class:`~klaremont.audit.announcements.AuditVerifyFailed` announcement that others act on
(the incident capability raises an incident for the ISO).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from klaremont.audit.announcements import AuditVerifyFailed
from klaremont.audit.events import AuditAction, Outcome
from klaremont.events import publish

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from klaremont.audit.events import ActionTag, Actor
    from klaremont.audit.report import VerificationReport


class RecordingUnit(Protocol):
    """What recording needs of the platform's unit of work (the audit log sits below the
    platform, so it names the unit by what it does)."""

    session: Session

    def audit(
        self,
        action: ActionTag,
        outcome: Outcome = Outcome.SUCCESS,
        *,
        resource: str | None = None,
        purpose: str | None = None,
        details: Mapping[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> Any:
        """Append an audit event in the unit's transaction."""


def details_of(report: VerificationReport, via: str) -> dict[str, object]:
    """What the ``audit.verify`` event carries: counts and the first break, never content."""
    details: dict[str, object] = {
        "events": report.events,
        "checkpoints": report.checkpoints,
        "sealed_seq": report.sealed_seq,
        "ok": report.ok,
        "via": via,
    }
    if report.first is not None:
        details["first_broken"] = report.first.seq
        details["kind"] = report.first.kind.value
    return details


def record_verification(uow: RecordingUnit, report: VerificationReport, *, via: str) -> None:
    """Audit the verification and announce a failure (in ``uow``'s transaction)."""
    uow.audit(
        AuditAction.AUDIT_VERIFY,
        Outcome.SUCCESS if report.ok else Outcome.FAILURE,
        resource="audit_events",
        details=details_of(report, via),
    )
    if report.first is None:
        return
    publish(
        uow,
        AuditVerifyFailed(
            first_broken=report.first.seq,
            kind=report.first.kind.value,
            findings=len(report.findings),
            via=via,
        ),
    )
