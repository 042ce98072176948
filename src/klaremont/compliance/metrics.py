"""The compliance metrics (extension point ``"metrics"``), read from the database at scrape time.

``klaremont_clause_live_status{clause, status}`` is 1 for each clause's current live
status and 0 for the others, from the newest row of the status history (the hourly job
runs the checks; a scrape runs none), so an operator can alert on
``klaremont_clause_live_status{status="fails"} == 1``. ``klaremont_work_queue_items{queue,
urgency}`` counts what the console home's work list (extension point ``"my_work"``) holds
for someone with every permission, by section: queue names and counts, no reference, no
name. The asker is :data:`klaremont.work.SYSTEM_ACCOUNT`, so a queue bound to one person
(the staff section's remote-access approvals) is counted for the system as a whole. A
section that could not be read is counted in ``klaremont_work_queue_failures``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric

from klaremont import capabilities, work
from klaremont.compliance.history import latest
from klaremont.logging import get_logger
from klaremont.policy.live import LiveStatus

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork

#: the statuses a recorded check can have (``no check`` and ``not run`` are never stored)
log = get_logger(__name__)
STATUSES = (LiveStatus.HOLDS, LiveStatus.FAILS, LiveStatus.UNKNOWN, LiveStatus.ERROR)


@dataclass(frozen=True, slots=True)
class Overseer:
    """A :class:`klaremont.work.WorkPrincipal` holding every permission and no account."""

    account_id: uuid.UUID
    permissions: Collection[StrEnum]


def overseer() -> Overseer:
    """The principal whose work list is every queue of the platform."""
    return Overseer(work.SYSTEM_ACCOUNT, frozenset(capabilities.permission_catalogue().values()))


def collect(platform: Platform) -> list[Metric]:
    """The clause statuses and the work queues, as the database has them now."""
    status = GaugeMetricFamily(
        "klaremont_clause_live_status",
        "1 for each policy clause's current live status (from the hourly checks)",
        labels=["clause", "status"],
    )
    queues = GaugeMetricFamily(
        "klaremont_work_queue_items",
        "Items waiting in each work queue of the console, by urgency",
        labels=["queue", "urgency"],
    )
    with platform.unit_of_work() as uow:
        uow.begin_read_only()
        for clause_id, row in sorted(latest(uow.session).items()):
            for one in STATUSES:
                status.add_metric([clause_id, one.value], 1.0 if row.status == one.value else 0.0)
    # Each contribution runs in a savepoint (none in a read-only unit on a server database),
    # and whatever one might write is thrown away: a scrape changes nothing.
    uow = platform.open_unit_of_work()
    try:
        counts, failed = _queues(uow)
    finally:
        uow.abort()
    for (queue, urgency), count in sorted(counts.items()):
        queues.add_metric([queue, urgency], float(count))
    failures = GaugeMetricFamily(
        "klaremont_work_queue_failures",
        "Work-list sections that could not be read during this scrape",
        value=float(failed),
    )
    return [status, queues, failures]


def _queues(uow: UnitOfWork) -> tuple[Counter[tuple[str, str]], int]:
    """Items per (section, urgency) of every ``my_work`` contribution, and how many failed."""
    principal = overseer()
    counts: Counter[tuple[str, str]] = Counter()
    failed = 0
    for contribution in capabilities.extensions(work.POINT):
        try:
            with uow.session.begin_nested():
                found = list(contribution(uow, principal))
        except Exception as exc:  # noqa: BLE001 - one queue failing must not hide the others
            # the error's type only: its text might quote a value read on the way
            log.warning(
                "work_queue.failed", queue=work.section_of(contribution), error=type(exc).__name__
            )
            failed += 1
            continue
        section = work.section_of(contribution)
        for item in found:
            counts[(section, item.urgency.value)] += item.count if item.count is not None else 1
    return counts, failed
