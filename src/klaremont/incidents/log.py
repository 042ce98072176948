"""The action log (SP-IRP-CONTAIN, SP-IRP-EVIDENCE "log all actions"): append-only, chained.

Each entry is numbered within its incident and carries the SHA-256 of its content (incident,
number, kind, text, actor, UTC time). The same digest goes into an ``incident.action_logged``
audit event recorded in the same transaction, whose sequence number the entry keeps. So:

- the database refuses to UPDATE or DELETE an entry (triggers, like ``audit_events``);
- an entry edited anyway no longer matches its digest, or its digest no longer matches
  the audit event (:func:`verify`, ``klaremont incidents verify``, the SP-IRP-EVIDENCE
  live check);
- the audit event edited to match breaks the hash chain (``klaremont audit verify``).

State changes, appointments, notification decisions and checklist answers are logged here
too (kinds ``decision`` and ``communication``), so the log is the case's timeline.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.audit.models import AuditEvent
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.models import NAME_MAX, Incident, IncidentActionEntry
from klaremont.incidents.states import ActionKind

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from klaremont.platform import UnitOfWork

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def resource_of(incident: Incident) -> str:
    """The audit resource of an incident: its reference, never its id."""
    return f"incident/{incident.reference}"


def entry_digest(  # noqa: PLR0917 - the entry's fields, in their stored order
    incident_id: uuid.UUID,
    number: int,
    kind: str,
    text: str,
    actor: tuple[str, str],
    recorded_at: datetime,
) -> str:
    """SHA-256 (hex) of an entry's content, canonical JSON."""
    content = {
        "incident": str(incident_id),
        "number": number,
        "kind": kind,
        "text": text,
        "actor": f"{actor[0]}:{actor[1]}",
        "at": recorded_at.strftime(TIME_FORMAT),
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def lock_case(uow: UnitOfWork, incident_id: uuid.UUID) -> None:
    """Hold the incident's row until the transaction ends, before numbering anything of it.

    Entries, evidence items, custody handlings and amendments are numbered "the last plus
    one": two people adding at once would otherwise both take the same number (a unique
    violation). PostgreSQL queues the second behind the first; SQLite writes one
    transaction at a time already.
    """
    uow.session.execute(select(Incident.id).where(Incident.id == incident_id).with_for_update())


def append(uow: UnitOfWork, incident: Incident, kind: ActionKind, text: str) -> IncidentActionEntry:
    """Add one entry to the incident's log and chain its digest into the audit log."""
    session = uow.session
    session.flush()
    lock_case(uow, incident.id)
    last = session.scalar(
        select(func.max(IncidentActionEntry.number)).where(
            IncidentActionEntry.incident_id == incident.id
        )
    )
    number = (last or 0) + 1
    now = uow.clock.now()
    actor = uow.actor
    digest = entry_digest(incident.id, number, kind.value, text, (actor.type.value, actor.id), now)
    event = uow.audit(
        IncidentAction.ACTION_LOGGED,
        resource=resource_of(incident),
        details={
            "reference": incident.reference,
            "entry": number,
            "kind": kind.value,
            "digest": digest,
        },
    )
    entry = IncidentActionEntry(
        incident_id=incident.id,
        number=number,
        kind=kind,
        text=text,
        actor_type=actor.type.value,
        actor_id=actor.id,
        actor_name=(actor.label or actor.id)[:NAME_MAX],
        recorded_at=now,
        digest=digest,
        audit_seq=event.seq,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(uow: UnitOfWork, incident: Incident) -> list[IncidentActionEntry]:
    """The incident's log, oldest first."""
    return list(
        uow.session.scalars(
            select(IncidentActionEntry)
            .where(IncidentActionEntry.incident_id == incident.id)
            .order_by(IncidentActionEntry.number)
        )
    )


def count_of(uow: UnitOfWork, incident: Incident, kind: ActionKind) -> int:
    """How many entries of ``kind`` the incident's log holds."""
    found = uow.session.scalar(
        select(func.count()).where(
            IncidentActionEntry.incident_id == incident.id, IncidentActionEntry.kind == kind
        )
    )
    return int(found or 0)


@dataclass(frozen=True, slots=True)
class Broken:
    """One entry that does not match its digest or its audit event."""

    incident_id: uuid.UUID
    number: int
    why: str


def check_entry(entry: IncidentActionEntry, event: AuditEvent | None, reference: str) -> str | None:
    """Why ``entry`` is not what was recorded, or ``None`` when it is."""
    digest = entry_digest(
        entry.incident_id,
        entry.number,
        entry.kind.value,
        entry.text,
        (entry.actor_type, entry.actor_id),
        entry.recorded_at,
    )
    if digest != entry.digest:
        return "its content no longer matches its digest (edited)"
    if event is None or event.action != IncidentAction.ACTION_LOGGED.value:
        return "its audit event is missing"
    details = event.details_dict()
    recorded = (details.get("reference"), details.get("entry"), details.get("digest"))
    if recorded != (reference, entry.number, entry.digest):
        return "its digest differs from the one in the audit log"
    return None


def verify(uow: UnitOfWork, references: dict[uuid.UUID, str]) -> tuple[int, list[Broken]]:
    """Check every entry of the given incidents (id -> reference); returns (checked, broken)."""
    checked = 0
    broken: list[Broken] = []
    rows = uow.session.scalars(
        select(IncidentActionEntry)
        .where(IncidentActionEntry.incident_id.in_(list(references)))
        .order_by(IncidentActionEntry.incident_id, IncidentActionEntry.number)
    )
    for entry in rows:
        checked += 1
        event = uow.session.get(AuditEvent, entry.audit_seq)
        why = check_entry(entry, event, references[entry.incident_id])
        if why is not None:
            broken.append(Broken(entry.incident_id, entry.number, why))
    return checked, broken
