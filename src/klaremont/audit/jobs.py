"""The nightly check of the audit log: the platform verifies its own chain every day.

A break found here is recorded and announced exactly as when the ISO runs ``klaremont audit
verify`` (:func:`klaremont.audit.verify_record.record_verification`), so tampering is noticed
within a day even when nobody looks, and an incident is raised for the ISO.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from klaremont.audit.verify_record import RecordingUnit, record_verification

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy import Engine

    from klaremont.audit.log import AuditLog


class VerifyingPlatform(Protocol):
    """What the job needs of the platform: its audit log, its engine and a unit of work."""

    @property
    def audit(self) -> AuditLog:
        """The audit log."""

    @property
    def engine(self) -> Engine:
        """The data store's engine."""

    def unit_of_work(self) -> AbstractContextManager[RecordingUnit]:
        """A unit of work as the system."""


def verify_job(platform: VerifyingPlatform) -> str:
    """Verify the whole chain and the checkpoints; one line saying what was found."""
    report = platform.audit.verify(platform.engine)
    with platform.unit_of_work() as uow:
        record_verification(uow, report, via="job")
    if report.first is None:
        return f"audit log intact: {report.events} events, sealed to #{report.sealed_seq}"
    return (
        f"audit log broken at event #{report.first.seq} ({report.first.kind.value}); "
        "announced for the ISO"
    )
