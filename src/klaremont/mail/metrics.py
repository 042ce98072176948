"""Mail metrics (extension point ``"metrics"``): how many messages wait or failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from klaremont.db.engine import READ_ONLY
from klaremont.mail.models import MailStatus, OutboxMessage

if TYPE_CHECKING:
    from klaremont.platform import Platform

_SHOWN = (MailStatus.PENDING, MailStatus.FAILED)


def collect(platform: Platform) -> list[Metric]:
    """``klaremont_mail_outbox_messages{status="pending"|"failed"}``."""
    with platform.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        counts: dict[str, int] = {
            str(status): count
            for status, count in conn.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_(_SHOWN))
                .group_by(OutboxMessage.status)
            )
        }
        conn.rollback()
    depth = GaugeMetricFamily(
        "klaremont_mail_outbox_messages",
        "Messages in the mail outbox waiting to be sent or given up on, by status.",
        labels=["status"],
    )
    for status in _SHOWN:
        depth.add_metric([status.value], counts.get(status.value, 0))
    return [depth]
