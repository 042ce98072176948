"""The marketing objection's immediate effect (PP-R-OBJECT): marketing and profiling stop now.

Shared by intake (an objection takes effect when it is made) and fulfilment.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from klaremont.db.subjects import Subject
from klaremont.errors import NotFound
from klaremont.rights.events import RightsEvent, audit_rights, subject_resource

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def object_to_marketing(uow: UnitOfWork, subject_id: uuid.UUID) -> bool:
    """Switch marketing and profiling off for the person now; False if it already was."""
    subject = uow.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such person")
    if subject.marketing_objection_at is not None:
        return False
    subject.marketing_objection_at = uow.clock.now()
    uow.session.flush()
    audit_rights(
        uow,
        RightsEvent.MARKETING_OBJECTION,
        resource=subject_resource(subject_id),
        details={"marketing": "off", "profiling": "off"},
    )
    return True
