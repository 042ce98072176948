"""The customers affected by an incident and the legal hold on their data (SP-IRP-EVIDENCE,
UK GDPR Art. 17(3)(e)).

The ISO lists the affected customers on the case by account reference or e-mail address;
who they are comes through the customers capability's ``customer_lookup`` extension point
(this capability reads no customer table). Each person is kept as their data-subject id
and account reference only.

The ISO places a legal hold on the data of every person listed (when the incident is
reported or later, with a reason) and lifts it (with a reason); both are logged on the case
and audited. While a hold is in force, :func:`holds_on` (the ``subject_hold`` provider,
:mod:`klaremont.holds`) answers for those people: erasure refuses and the deferred shred
waits. A hold lasts until it is lifted, after the close too (a legal claim may come after
the case is closed); the hold of a *dismissed* incident is no longer in force (it was not
an incident), and the case page says so.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from klaremont import capabilities
from klaremont.detectors.free_text import optional, plain
from klaremont.errors import Conflict, ValidationFailed
from klaremont.holds import Hold
from klaremont.incidents import casework, log, workflow
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.affected_models import WHY_MAX, IncidentAffected, IncidentHold
from klaremont.incidents.models import TEXT_MAX, Incident
from klaremont.incidents.states import ActionKind, IncidentState

if TYPE_CHECKING:
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

LOOKUP_POINT = "customer_lookup"
#: ``customer_lookup(uow, text) -> [CustomerRef-like]`` (``subject_id``, ``reference``)
Lookup = Callable[["UnitOfWork", str], Iterable[Any]]
LIST_MAX = 200
REASON_MIN = 10
_SPLIT = re.compile(r"[\s,;]+")


def _name(uow: UnitOfWork) -> str:
    return (uow.actor.label or uow.actor.id)[:64]


def lookup_plugged() -> bool:
    """Whether any capability answers who a customer is."""
    return bool(capabilities.extensions(LOOKUP_POINT))


def _lookup(uow: UnitOfWork, text: str) -> list[tuple[uuid.UUID, str]]:
    found: dict[uuid.UUID, str] = {}
    for provider in capabilities.extensions(LOOKUP_POINT):
        for ref in cast("Lookup", provider)(uow, text):
            found.setdefault(uuid.UUID(str(ref.subject_id)), str(ref.reference))
    return sorted(found.items(), key=lambda item: item[1])


def affected(uow: UnitOfWork, incident: Incident) -> list[IncidentAffected]:
    """The people listed on the incident, in account-reference order."""
    return list(
        uow.session.scalars(
            select(IncidentAffected)
            .where(IncidentAffected.incident_id == incident.id)
            .order_by(IncidentAffected.customer_reference)
        )
    )


def add(
    uow: UnitOfWork, viewer: Viewer, incident: Incident, customers: str, why: str | None = None
) -> list[IncidentAffected]:
    """List the customers named in ``customers`` (references or e-mail addresses, one per
    line or separated by commas) as affected; all or nothing. Returns the newly listed."""
    workflow.require_manager(viewer, incident)
    casework.require_open(incident)
    reason = optional("why", why, max_length=WHY_MAX)
    keys = [key for key in _SPLIT.split(customers or "") if key]
    if not keys:
        raise ValidationFailed.single("customers", "name at least one customer")
    if len(keys) > LIST_MAX:
        raise ValidationFailed.single("customers", f"at most {LIST_MAX} at a time")
    if not lookup_plugged():
        raise ValidationFailed.single("customers", "no customer directory is available")
    found: dict[uuid.UUID, str] = {}
    unknown: list[str] = []
    for number, key in enumerate(keys, start=1):
        matches = _lookup(uow, key)
        if not matches:
            # the e-mail address typed is not repeated back: its position is enough
            unknown.append(key.upper() if "@" not in key else f"the address in place {number}")
        for subject_id, reference in matches:
            found.setdefault(subject_id, reference)
    if unknown:
        raise ValidationFailed.single("customers", "no customer is known as " + ", ".join(unknown))
    listed = {row.subject_ref for row in affected(uow, incident)}
    now, actor = uow.clock.now(), _name(uow)
    added = [
        IncidentAffected(
            incident_id=incident.id,
            subject_ref=subject_id,
            customer_reference=reference,
            why=reason,
            added_by=actor,
            added_at=now,
        )
        for subject_id, reference in sorted(found.items(), key=lambda item: item[1])
        if subject_id not in listed
    ]
    if not added:
        raise Conflict("Every customer named is already listed as affected.")
    uow.session.add_all(added)
    uow.session.flush()
    references = [row.customer_reference for row in added]
    hold = active_hold(uow, incident)
    text = f"Affected customers listed ({len(added)}): {', '.join(references)}."
    text += f" Why: {reason}" if reason else ""
    text += " Their data is under the legal hold." if hold else ""
    log.append(uow, incident, ActionKind.INVESTIGATION, text)
    uow.audit(
        IncidentAction.AFFECTED_LISTED,
        resource=log.resource_of(incident),
        details={"reference": incident.reference, "count": len(added), "held": hold is not None},
    )
    return added


def active_hold(uow: UnitOfWork, incident: Incident) -> IncidentHold | None:
    """The hold placed on the incident and not lifted, if any."""
    return uow.session.scalars(
        select(IncidentHold)
        .where(IncidentHold.incident_id == incident.id, IncidentHold.lifted_at.is_(None))
        .order_by(IncidentHold.placed_at.desc())
    ).first()


def holds(uow: UnitOfWork, incident: Incident) -> list[IncidentHold]:
    """Every hold of the incident, in force or lifted, oldest first."""
    return list(
        uow.session.scalars(
            select(IncidentHold)
            .where(IncidentHold.incident_id == incident.id)
            .order_by(IncidentHold.placed_at)
        )
    )


def _reason(field: str, text: str) -> str:
    return plain(field, text, max_length=TEXT_MAX, min_length=REASON_MIN)


def place_hold(uow: UnitOfWork, viewer: Viewer, incident: Incident, reason: str) -> IncidentHold:
    """Put the data of every affected customer (listed now or later) under a legal hold."""
    workflow.require_manager(viewer, incident)
    casework.require_open(incident)
    said = _reason("reason", reason)
    if active_hold(uow, incident) is not None:
        raise Conflict(f"{incident.reference} already has a legal hold in force.")
    hold = IncidentHold(
        incident_id=incident.id, reason=said, placed_by=_name(uow), placed_at=uow.clock.now()
    )
    uow.session.add(hold)
    uow.session.flush()
    count = len(affected(uow, incident))
    log.append(
        uow,
        incident,
        ActionKind.DECISION,
        f"Legal hold placed on the data of the affected customers ({count} listed so far): "
        f"nothing of theirs is erased or destroyed until it is lifted. Why: {said}",
    )
    uow.audit(
        IncidentAction.HOLD_PLACED,
        resource=log.resource_of(incident),
        details={"reference": incident.reference, "customers": count},
    )
    return hold


def lift_hold(uow: UnitOfWork, viewer: Viewer, incident: Incident, reason: str) -> IncidentHold:
    """Lift the hold in force (the ISO, with the reason; also after the close)."""
    workflow.require_manager(viewer, incident)
    said = _reason("reason", reason)
    hold = active_hold(uow, incident)
    if hold is None:
        raise Conflict(f"{incident.reference} has no legal hold in force to lift.")
    hold.lifted_at, hold.lifted_by, hold.lift_reason = uow.clock.now(), _name(uow), said
    uow.session.flush()
    log.append(
        uow,
        incident,
        ActionKind.DECISION,
        f"Legal hold lifted: the affected customers' data is again handled by the usual "
        f"rules (erasure, retention). Why: {said}",
    )
    uow.audit(
        IncidentAction.HOLD_LIFTED,
        resource=log.resource_of(incident),
        details={"reference": incident.reference},
    )
    return hold


def holds_on(uow: UnitOfWork, subject_ids: frozenset[uuid.UUID] | None) -> list[Hold]:
    """The ``subject_hold`` provider: the incident holds in force on any of ``subject_ids``
    (``None``: on anyone)."""
    query = (
        select(
            IncidentAffected.subject_ref,
            Incident.reference,
            IncidentHold.placed_at,
        )
        .join(Incident, Incident.id == IncidentAffected.incident_id)
        .join(IncidentHold, IncidentHold.incident_id == IncidentAffected.incident_id)
        .where(IncidentHold.lifted_at.is_(None), Incident.state != IncidentState.DISMISSED)
        .order_by(Incident.reference)
    )
    if subject_ids is not None:
        query = query.where(IncidentAffected.subject_ref.in_(subject_ids))
    rows = uow.session.execute(query)
    return [
        Hold(
            subject_id=subject_ref,
            holder=f"incident {reference}",
            reason="the data may be needed for legal claims arising from the incident",
            since=placed_at,
        )
        for subject_ref, reference, placed_at in rows
    ]
