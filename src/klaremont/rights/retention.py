"""Rights' part in retention: its records' target and the hold an open request places.

- Target ``rights.requests`` (data_subject_requests): a closed request and everything
  that belongs to it (clock pauses, identity challenges, export copies, download links,
  transmissions) go ``retention.data_subject_requests.period`` after it closed.
- The ``retention_hold`` provider: while a person has an open request of any kind, none
  of their data is purged. Altering or erasing data a requester is entitled to see is an
  offence (DPA 2018 s.173), and a rectification or an objection is about the very data a
  purge would remove. (Erasure answers to open requests itself: it refuses while an
  access request is open.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.holds import Hold
from klaremont.policy.model import DataCategory
from klaremont.retention_targets import Target
from klaremont.rights.models import (
    ClockPause,
    DownloadLink,
    ExportArtifact,
    RightsRequest,
    Transmission,
    VerificationChallenge,
)
from klaremont.rights.states import OPEN

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import UnitOfWork


def targets() -> tuple[Target, ...]:
    """Closed requests and what belongs to them."""
    return (
        Target(
            "rights.requests",
            DataCategory.DATA_SUBJECT_REQUESTS,
            RightsRequest.__table__,  # type: ignore[arg-type]
            {"request_closed": lambda table: table.c.closed_at},
            "closed data-subject requests with their pauses, checks, copies and transmissions",
            children=tuple(
                model.__table__.c.request_id
                for model in (
                    ClockPause,
                    VerificationChallenge,
                    DownloadLink,
                    ExportArtifact,
                    Transmission,
                )
            ),
            extra=(lambda table: table.c.state.not_in([s.value for s in OPEN]),),
            sealed=True,
        ),
    )


def open_request_holds(uow: UnitOfWork, subject_ids: frozenset[uuid.UUID] | None) -> list[Hold]:
    """The ``retention_hold`` provider: a hold per person with an open request."""
    query = select(
        RightsRequest.subject_id, RightsRequest.reference, RightsRequest.received_at
    ).where(RightsRequest.state.in_([s.value for s in OPEN]))
    if subject_ids is not None:
        query = query.where(RightsRequest.subject_id.in_(subject_ids))
    return [
        Hold(
            subject_id=subject,
            holder=f"request {reference}",
            reason="an open data-subject request (DPA 2018 s.173)",
            since=received,
        )
        for subject, reference, received in uow.session.execute(
            query.order_by(RightsRequest.reference)
        )
    ]
