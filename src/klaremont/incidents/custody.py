"""The chain of custody of evidence files (SP-IRP-EVIDENCE): who handled each file, when and
why, append-only and chained into the audit log like the action log.

Every handling (added, downloaded, exported, verified) is one ``incident_custody`` entry,
numbered per file, keeping the SHA-256 of its content and the sequence number of the audit
event (``incident.evidence_<handling>``) that carries the same digest, written in the same
transaction. The first entry's content also covers what was recorded at intake (name,
size, the plaintext's SHA-256), so editing the evidence row to match a changed file shows
as a broken chain; editing the audit event to match breaks ``klaremont audit verify``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.audit.events import Outcome
from klaremont.audit.models import AuditEvent
from klaremont.incidents import log
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.casefile_models import (
    CustodyHandling,
    Finding,
    IncidentCustody,
    IncidentEvidence,
)
from klaremont.incidents.models import NAME_MAX

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from klaremont.incidents.models import Incident
    from klaremont.platform import UnitOfWork

ACTIONS = {
    CustodyHandling.ADDED: IncidentAction.EVIDENCE_ADDED,
    CustodyHandling.DOWNLOADED: IncidentAction.EVIDENCE_DOWNLOADED,
    CustodyHandling.EXPORTED: IncidentAction.EVIDENCE_EXPORTED,
    CustodyHandling.VERIFIED: IncidentAction.EVIDENCE_VERIFIED,
}
NOTE_MAX = 500


def intake_of(item: IncidentEvidence) -> dict[str, object]:
    """What was recorded at intake, as the first custody entry's digest covers it."""
    return {
        "evidence": str(item.id),
        "incident": str(item.incident_id),
        "number": item.number,
        "name": item.original_name,
        "size": item.size,
        "sha256": item.sha256,
        "stored_as": item.stored_as,
    }


@dataclass(frozen=True, slots=True)
class Handled:
    """One handling as it is hashed: what, the finding, why, who and when."""

    handling: str
    finding: str | None
    note: str | None
    why: str
    actor: str
    at: datetime


def entry_digest(item: IncidentEvidence, number: int, handled: Handled) -> str:
    """SHA-256 (hex) of a custody entry's content, canonical JSON."""
    content: dict[str, object] = {
        "evidence": str(item.id),
        "entry": number,
        "handling": handled.handling,
        "finding": handled.finding,
        "note": handled.note,
        "why": handled.why,
        "actor": handled.actor,
        "at": handled.at.strftime(log.TIME_FORMAT),
    }
    if handled.handling == CustodyHandling.ADDED.value:
        content["intake"] = intake_of(item)
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def record(  # noqa: PLR0917 - the case, the file, what was done and why
    uow: UnitOfWork,
    incident: Incident,
    item: IncidentEvidence,
    handling: CustodyHandling,
    why: str,
    finding: Finding | None = None,
    note: str | None = None,
) -> IncidentCustody:
    """Append one handling to the file's chain and chain its digest into the audit log."""
    session = uow.session
    session.flush()
    log.lock_case(uow, item.incident_id)
    last = session.scalar(
        select(func.max(IncidentCustody.number)).where(IncidentCustody.evidence_id == item.id)
    )
    number = (last or 0) + 1
    actor = uow.actor
    note = note[:NOTE_MAX] if note else None
    handled = Handled(
        handling.value,
        finding.value if finding else None,
        note,
        why,
        f"{actor.type.value}:{actor.id}",
        uow.clock.now(),
    )
    digest = entry_digest(item, number, handled)
    details: dict[str, object] = {
        "reference": incident.reference,
        "evidence": item.number,
        "entry": number,
        "digest": digest,
    }
    if handling is CustodyHandling.ADDED:
        details |= {"sha256": item.sha256, "size": item.size}
    if finding is not None:
        details["finding"] = finding.value
    fine = finding in {None, Finding.INTACT}
    event = uow.audit(
        ACTIONS[handling],
        Outcome.SUCCESS if fine else Outcome.FAILURE,
        resource=f"{log.resource_of(incident)}/evidence/{item.number}",
        details=details,
    )
    entry = IncidentCustody(
        evidence_id=item.id,
        incident_id=incident.id,
        number=number,
        handling=handling,
        finding=finding,
        note=note,
        why=why,
        actor_type=actor.type.value,
        actor_id=actor.id,
        actor_name=(actor.label or actor.id)[:NAME_MAX],
        at=handled.at,
        digest=digest,
        audit_seq=event.seq,
    )
    session.add(entry)
    session.flush()
    return entry


def chain_of(uow: UnitOfWork, item: IncidentEvidence) -> list[IncidentCustody]:
    """The file's custody entries, oldest first."""
    return list(
        uow.session.scalars(
            select(IncidentCustody)
            .where(IncidentCustody.evidence_id == item.id)
            .order_by(IncidentCustody.number)
        )
    )


def check_entry(
    item: IncidentEvidence, entry: IncidentCustody, event: AuditEvent | None, reference: str
) -> str | None:
    """Why ``entry`` is not what was recorded, or ``None`` when it is."""
    handled = Handled(
        entry.handling.value,
        entry.finding.value if entry.finding else None,
        entry.note,
        entry.why,
        f"{entry.actor_type}:{entry.actor_id}",
        entry.at,
    )
    if entry_digest(item, entry.number, handled) != entry.digest:
        if entry.handling is CustodyHandling.ADDED:
            return "the entry or what was recorded at intake no longer matches its digest (edited)"
        return "its content no longer matches its digest (edited)"
    if event is None or event.action != ACTIONS[entry.handling].value:
        return "its audit event is missing"
    details = event.details_dict()
    recorded = (details.get("reference"), details.get("evidence"), details.get("entry"))
    if recorded != (reference, item.number, entry.number) or details.get("digest") != entry.digest:
        return "its digest differs from the one in the audit log"
    return None


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """One custody entry (or a file's missing first entry) that does not hold."""

    incident_id: uuid.UUID
    evidence: int
    entry: int
    why: str


def verify_chains(
    uow: UnitOfWork, references: dict[uuid.UUID, str]
) -> tuple[int, list[BrokenLink]]:
    """Check every custody entry of the given incidents' files: (entries checked, broken)."""
    checked = 0
    broken: list[BrokenLink] = []
    items = uow.session.scalars(
        select(IncidentEvidence).where(IncidentEvidence.incident_id.in_(list(references)))
    )
    for item in items:
        chain = chain_of(uow, item)
        if not chain or chain[0].handling is not CustodyHandling.ADDED:
            broken.append(
                BrokenLink(item.incident_id, item.number, 1, "its intake entry is missing")
            )
        for entry in chain:
            checked += 1
            event = uow.session.get(AuditEvent, entry.audit_seq)
            why = check_entry(item, entry, event, references[item.incident_id])
            if why is not None:
                broken.append(BrokenLink(item.incident_id, item.number, entry.number, why))
    return checked, broken
