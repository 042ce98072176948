"""Live check that the platform watches its own use (IS-USE-MONITOR).

Staff actions are recorded in the hash-chained audit log by every unit of work; the
monitoring holds while (1) the chain was verified in full within the last day and that
verification found it intact, (2) the last signed checkpoint's signature holds, and (3) a
broken chain alerts someone: some capability subscribes to :class:`AuditVerifyFailed` (the
incident capability raises an incident for the ISO). Without a database it says "unknown".
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from klaremont import capabilities
from klaremont.audit.announcements import AuditVerifyFailed
from klaremont.audit.events import Outcome
from klaremont.audit.status import log_status
from klaremont.policy.live import CheckResult, LiveContext, inspect_database, live_check

if TYPE_CHECKING:
    from klaremont.audit.log import AuditLog

#: the nightly ``audit-verify`` job's day, and an hour's slack for a slow night
VERIFIED_WITHIN = timedelta(days=1, hours=1)


def _alerted_by() -> list[str]:
    return sorted(
        declared.name
        for declared, subscription in capabilities.subscriptions()
        if subscription.event is AuditVerifyFailed
    )


@live_check(
    "IS-USE-MONITOR",
    reads="the audit log: its latest chain verification (its outcome and time), the last "
    "checkpoint's signature, and who is alerted when the chain breaks",
)
def audit_log_is_watched(ctx: LiveContext) -> CheckResult:
    """The chain verified intact within the last day, its checkpoint signed, breaks alerted."""
    alerted = _alerted_by()
    if not alerted:
        return CheckResult(holds=False, detail="nobody is alerted when the audit chain breaks")

    def check(uow: Any) -> CheckResult:
        log: AuditLog = uow.platform.audit
        status = log_status(uow.session, log)
        last = status.last_check
        if last is None:
            return CheckResult(
                holds=False,
                detail="the audit chain has never been verified (`klaremont audit verify`)",
            )
        if last.outcome != Outcome.SUCCESS.value:
            return CheckResult(
                holds=False,
                detail=f"the last verification (event #{last.seq}) found the audit chain broken",
            )
        if ctx.clock.now() - last.occurred > VERIFIED_WITHIN:
            return CheckResult(
                holds=False,
                detail=f"the audit chain was last verified {last.occurred:%Y-%m-%d %H:%M} UTC, "
                "more than a day ago: is the audit-verify job running?",
            )
        if status.checkpoint is not None and not status.signature_valid:
            return CheckResult(
                holds=False,
                detail=f"the last checkpoint (#{status.checkpoint.seq}) has no valid signature",
            )
        return CheckResult(
            holds=True,
            detail=f"{status.last_seq} audit event(s); chain verified intact at "
            f"{last.occurred:%Y-%m-%d %H:%M} UTC; a break alerts {', '.join(alerted)}",
        )

    return inspect_database(ctx, check, what="audit log")
