"""Running the archive from the command, or as the nightly job: always audited.

Each run records ``audit.archive`` with what it did (counts and ranges; success), or why it
stopped (failure, the reason; the job then fails, so the worker's watchdog alerts technical
operations). The online period and the retention period come from the policy file:
``[audit_archive] online_months`` and ``[retention.audit_log] period``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from klaremont.audit.archive import Progress, archive_log
from klaremont.audit.archive_result import ArchiveRefused, ArchiveResult
from klaremont.audit.events import AuditAction, Outcome
from klaremont.policy.model import DataCategory

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy import Engine

    from klaremont.audit.log import AuditLog
    from klaremont.audit.verify_record import RecordingUnit
    from klaremont.policy.model import PolicyFile

Units = Callable[[], "AbstractContextManager[RecordingUnit]"]


class ArchivingPlatform(Protocol):
    """What the archive needs of the platform: its log, engine, policy and a unit of work."""

    @property
    def audit(self) -> AuditLog:
        """The audit log."""

    @property
    def engine(self) -> Engine:
        """The data store's engine."""

    @property
    def policy(self) -> PolicyFile:
        """The loaded policy file."""

    def unit_of_work(self) -> AbstractContextManager[RecordingUnit]:
        """A unit of work as the system."""


def run_archive(
    platform: ArchivingPlatform,
    *,
    via: str,
    units: Units | None = None,
    progress: Progress | None = None,
) -> ArchiveResult:
    """Archive and dispose of per the policy, and record ``audit.archive`` (``units`` opens
    the unit of work that records it: the platform's, as the system, by default)."""
    opened = units or platform.unit_of_work
    policy = platform.policy
    try:
        result = archive_log(
            platform.engine,
            platform.audit,
            online_months=policy.audit_archive.online_months,
            retention=policy.retention.rule(DataCategory.AUDIT_LOG).period,
            progress=progress,
        )
    except ArchiveRefused as exc:
        with opened() as uow:
            uow.audit(
                AuditAction.AUDIT_ARCHIVE,
                Outcome.FAILURE,
                resource="audit_events",
                details={"via": via, "reason": str(exc)[:500]},
            )
        raise
    with opened() as uow:
        uow.audit(
            AuditAction.AUDIT_ARCHIVE,
            resource="audit_events",
            details={"via": via, **result.details()},
        )
    return result


def archive_job(platform: ArchivingPlatform) -> str:
    """The nightly run: one line saying what was archived and disposed of."""
    return run_archive(platform, via="job").summary()
