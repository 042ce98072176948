"""Demo policy documents (DEMO ONLY): every document published 45 days ago as version 2026.1,
every section reviewed 60 days ago by its owner, and every active member of staff's
acknowledgement of each except one: the last support agent has not acknowledged the Data
Protection Policy, so the overdue list shows one person and DP-AWARE fails for that reason.
DP-GUIDE and DP-REVIEW hold.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from klaremont.policydocs import library, ports, service

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 68  # after the staff (10)
LABEL = "2026.1"
PUBLISHED_DAYS_AGO = 45
REVIEWED_DAYS_AGO = 60
#: the document the demo's one late member of staff has not acknowledged
UNREAD = "DP"
OWNER_NAMES = {"dpo": "dana", "iso": "ivan"}


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Publish, review and acknowledge; one acknowledgement left overdue."""
    del rng, size
    today = uow.clock.now().date()
    effective = today - timedelta(days=PUBLISHED_DAYS_AGO)
    for key in library.DOCUMENT_KEYS:
        service.publish(uow, key, LABEL, by="dana", effective_on=effective)
    for section in service.sections(uow):
        service.record_review(
            uow,
            section.number,
            by=OWNER_NAMES.get(section.owner_role, "dana"),
            reviewed_on=today - timedelta(days=REVIEWED_DAYS_AGO),
            note="Annual review: text still matches practice.",
        )
    staff = ports.active_staff(uow)
    agents = [m.username for m in staff if "support_agent" in m.roles]
    late = agents[-1] if agents else (staff[-1].username if staff else "")
    for number, member in enumerate(staff):
        for key in library.DOCUMENT_KEYS:
            if member.username == late and key == UNREAD:
                continue
            row = service.acknowledge(uow, key, member.username)
            row.acknowledged_at = uow.clock.now() - timedelta(
                days=PUBLISHED_DAYS_AGO - 2 - number % 10
            )
    uow.session.flush()
    said = (
        f"policies: {len(library.DOCUMENT_KEYS)} documents published, "
        f"{len(service.sections(uow))} sections reviewed, {late} overdue acknowledging the "
        "Data Protection Policy"
    )
    return [said]
