"""Reading requests: by id, by reference, the owner's own, lists, and their sealed details.

Staff functions (:func:`get`, :func:`find`) have no ownership rule: the route's permission
is the rule. :func:`get_owned` is the customer's: another person's request is reported as
not existing. :mod:`klaremont.rights.service` re-exports all of these.
"""

from __future__ import annotations

import json
import uuid
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.errors import NotFound
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import OPEN

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from klaremont.platform import UnitOfWork
    from klaremont.rights.states import RequestKind, RequestState


def get(uow: UnitOfWork, request_id: uuid.UUID) -> RightsRequest:
    """One request (staff view: no ownership rule)."""
    found = uow.session.get(RightsRequest, request_id)
    if found is None:
        raise NotFound("no such request")
    return found


def find(uow: UnitOfWork, text: str) -> RightsRequest:
    """A request by id or by reference (``DSR-...``), for staff and the command line."""
    cleaned = text.strip()
    with suppress(ValueError):  # not an id: look it up as a reference
        return get(uow, uuid.UUID(cleaned))
    found = uow.session.scalars(
        select(RightsRequest).where(RightsRequest.reference == cleaned.upper())
    ).first()
    if found is None:
        raise NotFound("no such request")
    return found


def get_owned(uow: UnitOfWork, subject_id: uuid.UUID, request_id: uuid.UUID) -> RightsRequest:
    """One of the person's own requests; another person's is reported as not existing."""
    found = uow.session.get(RightsRequest, request_id)
    if found is None or found.subject_id != subject_id:
        raise NotFound("no such request")
    return found


def list_requests(
    uow: UnitOfWork,
    *,
    state: RequestState | None = None,
    kind: RequestKind | None = None,
    subject_id: uuid.UUID | None = None,
    limit: int = 200,
) -> Sequence[RightsRequest]:
    """Requests, soonest deadline first."""
    query = select(RightsRequest)
    if state is not None:
        query = query.where(RightsRequest.state == state)
    if kind is not None:
        query = query.where(RightsRequest.kind == kind)
    if subject_id is not None:
        query = query.where(RightsRequest.subject_id == subject_id)
    order = (RightsRequest.due_on, RightsRequest.received_at)
    return uow.session.scalars(query.order_by(*order).limit(limit)).all()


def open_requests_of(
    uow: UnitOfWork, subject_id: uuid.UUID, kinds: Collection[RequestKind]
) -> Sequence[RightsRequest]:
    """The person's open requests of the given kinds."""
    return uow.session.scalars(
        select(RightsRequest).where(
            RightsRequest.subject_id == subject_id,
            RightsRequest.kind.in_([k.value for k in kinds]),
            RightsRequest.state.in_([s.value for s in OPEN]),
        )
    ).all()


def sealed_reason(request: RightsRequest, field: str) -> str | None:
    """A sealed reason of the request (``refusal_reason``, ``extension_reason``); ``None``
    once the person's data key is destroyed."""
    try:
        value: str | None = getattr(request, field)
    except SubjectKeyDestroyed:
        return None
    return value


def details_of(request: RightsRequest) -> dict[str, Any]:
    """The request's sealed details (the requester's words, corrections, recipient).

    Empty once the person's data key is destroyed: what they wrote went with it.
    """
    try:
        raw = request.details
    except SubjectKeyDestroyed:
        return {}
    return dict(json.loads(raw)) if raw else {}
