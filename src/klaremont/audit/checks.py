"""Live check of the audit log's retention (PCI DSS 10.5.1, traced to IS-AC-LOGIN-LOG and
IS-AC-CHD-LOG): the last three months online, a year in all, provably.

It fails when the table still holds events older than the online period by more than
:data:`GRACE` (the ``audit-archive`` job has not run), when a segment is past the retention
period by more than the grace and not disposed of, or when the archive does not verify
(its manifest, every segment file, the ranges the table records, and the link to the
table's first event). The table's own chain is the nightly ``audit-verify`` job's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from klaremont.audit.archive_format import archive_dir, read_manifest
from klaremont.audit.archive_verify import check_archive, check_boundary
from klaremont.audit.encoding import parse_timestamp
from klaremont.audit.models import AuditEvent
from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database
from klaremont.policy.model import DataCategory

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine

    from klaremont.audit.log import AuditLog
    from klaremont.policy.period import Period

GRACE = timedelta(days=3)  # the daily job may miss a night or two before this fails


def _overdue_disposal(log: AuditLog, retention: Period, now: datetime) -> str | None:
    """The first kept segment whose retention ended more than :data:`GRACE` ago, if any."""
    records, _bad = read_manifest(archive_dir(log.checkpoint_file))
    disposed = {r.lo for r in records if r.kind == "disposed"}
    for record in sorted(records, key=lambda r: r.lo):
        if record.kind != "segment" or record.lo in disposed:
            continue
        if retention.add_to(parse_timestamp(record.last_at)) + GRACE < now:
            return (
                f"segment {record.file} (events {record.span}) is past the audit log's "
                f"{retention} retention period and not disposed of"
            )
    return None


@live_check(
    "IS-AC-LOGIN-LOG",
    "IS-AC-CHD-LOG",
    reads="the audit log: its oldest event against the online period, the archive's segments and "
    "signatures, and expired segments against the retention period",
)
def audit_log_archived_on_time(ctx: LiveContext) -> CheckResult:
    """Old events left the table on time, the archive verifies, expired segments are gone."""
    online = ctx.policy.audit_archive.online_months
    retention = ctx.policy.retention.rule(DataCategory.AUDIT_LOG).period

    def check(uow: Any) -> CheckResult:
        log: AuditLog = uow.platform.audit
        engine: Engine = uow.platform.engine
        now = ctx.clock.now()
        cutoff = now - relativedelta(months=online) - GRACE
        oldest = uow.session.scalar(select(func.min(AuditEvent.occurred_at)))
        if oldest is not None and parse_timestamp(oldest) < cutoff:
            return CheckResult(
                holds=False,
                detail=(
                    f"the audit log table still holds events from {oldest[:10]}, older than "
                    f"the {online}-month online period: the audit-archive job has not run "
                    "(`klaremont audit archive`)"
                ),
            )
        expired = _overdue_disposal(log, retention, now)
        if expired is not None:
            return CheckResult(holds=False, detail=expired)
        state = check_archive(engine, archive_dir(log.checkpoint_file), log.trusted_keys)
        low = uow.session.scalar(select(func.min(AuditEvent.seq)))
        high = uow.session.scalar(select(func.max(AuditEvent.seq)))
        findings = [*state.findings, *check_boundary(engine, state, low, int(high or 0))]
        if findings:
            first = min(findings, key=lambda f: f.sort_key())
            return CheckResult(
                holds=False, detail=f"the audit archive does not verify: {first.message}"
            )
        return CheckResult(
            holds=True,
            detail=(
                f"events older than {online} months archived ({state.events} in "
                f"{state.segments} verified segment(s), {state.disposed} disposed of after "
                f"{retention}); the table starts at event #{low or 0}"
            ),
        )

    return with_database(ctx, check, without="audit archive not inspected (no database)")
