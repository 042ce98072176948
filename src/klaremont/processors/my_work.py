"""The register's part of the console home (extension point ``my_work``), for the DPO
(``processors:manage``): contracts, data processing agreements and PCI DSS attestations
expired or expiring within 60 days, and transfers outside the UK without their transfer
risk assessment, and support shares past their deletion due date without the partner's
confirmation (PP-SUPPORT). Processor names, tickets and dates only."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from klaremont.processors import service, support
from klaremont.processors.permissions import ProcessorPermission
from klaremont.transfers import HOME, NEEDS_TRA
from klaremont.work import Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "Processors"
WITHIN = timedelta(days=60)
EXPIRING = {
    "contract_expires_on": "Contract",
    "dpa_expires_on": "Data processing agreement",
    "aoc_expires_on": "PCI DSS attestation",
}


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """What the register says is due."""
    if ProcessorPermission.PROCESSORS_MANAGE not in principal.permissions:
        return []
    today = uow.clock.now().date()
    work: list[tuple[object, WorkItem]] = []
    for processor in service.processors(uow):
        link = f"/staff/processors/p/{processor.key}"
        for name, what in EXPIRING.items():
            ends = getattr(processor, name)
            if ends is None or ends > today + WITHIN:
                continue
            late = ends < today
            detail = f"{'expired' if late else 'expires'} {ends:%d/%m/%Y}"
            urgency = Urgency.OVERDUE if late else Urgency.DUE
            work.append(
                (ends, WorkItem(f"{what}: {processor.name}", urgency, detail=detail, link=link))
            )
        if (
            processor.country != HOME
            and processor.mechanism in NEEDS_TRA
            and processor.tra_on is None
        ):
            item = WorkItem(
                f"Transfer risk assessment: {processor.name}",
                Urgency.OVERDUE,
                detail=f"transfers to {processor.country} have no assessment recorded",
                link=link,
            )
            work.append((today, item))
    for late in support.overdue(uow):
        item = WorkItem(
            f"Support share deletion not confirmed: ticket {late.ticket}",
            Urgency.OVERDUE,
            detail=f"{late.reference}: partner's deletion was due {late.due_on:%d/%m/%Y}",
            link="/staff/processors/shares",
        )
        work.append((late.due_on, item))
    return [item for _when, item in sorted(work, key=lambda pair: str(pair[0]))]
