"""Which processors hold a person's data now, for telling them of a change (UK GDPR Art. 19):
the extension point ``data_holders``, which the disclosures capability asks when a
person's data is rectified, restricted or erased.

A processor holds a person's data when a support share naming the person's account was
exported to it and the partner has not yet confirmed its deletion. Accounts are matched
through the customers capability's ``customer_lookup`` point (shares keep account
references only). The register's processors whose service holds every customer's data
(the shop host, the mail service) are not listed: no share records which people they got.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from klaremont import capabilities
from klaremont.db.subjects import Subject
from klaremont.processors import service
from klaremont.processors.models import Processor, SupportShare

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from klaremont.platform import UnitOfWork

LOOKUP_POINT = "customer_lookup"


def _subjects(uow: UnitOfWork, reference: str) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for provider in capabilities.extensions(LOOKUP_POINT):
        for ref in cast("Callable[[UnitOfWork, str], Iterable[Any]]", provider)(uow, reference):
            found.add(uuid.UUID(str(ref.subject_id)))
    return found


def held_shares(
    uow: UnitOfWork, subject_id: uuid.UUID
) -> list[tuple[SupportShare, Processor, str]]:
    """``(share, partner, account)`` for each exported support share naming the person's
    account whose deletion the partner has not confirmed, oldest first."""
    query = (
        select(SupportShare, Processor)
        .join(Processor, Processor.id == SupportShare.processor_id)
        .where(SupportShare.exported_at.is_not(None), SupportShare.confirmed_at.is_(None))
        .order_by(SupportShare.opened_at)
    )
    out: list[tuple[SupportShare, Processor, str]] = []
    for row in uow.session.execute(query):
        share, processor = row[0], row[1]
        for account in service.split(share.customers):
            if subject_id in _subjects(uow, account):
                out.append((share, processor, account))
                break
    return out


def holding(uow: UnitOfWork, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """``[{"who", "contact", "reference", "account"}]``: processors holding the person's
    data under an exported support share not yet confirmed deleted.

    Nobody once the person is erased: the erasure already gave each such partner a
    deletion task with its confirmation link (:mod:`klaremont.processors.deletion_tasks`),
    which is the only mail a support partner gets for it (not an Art. 19 notice as well).
    """
    subject = uow.session.get(Subject, subject_id)
    if subject is not None and subject.erased_at is not None:
        return []
    return [
        {
            "who": processor.name,
            "contact": processor.contact_email,
            "reference": share.reference,
            "account": account,
        }
        for share, processor, account in held_shares(uow, subject_id)
    ]
