"""The ICO report drafted from the case, with what UK GDPR Art. 33(3) asks for.

(a) the nature of the breach, the categories and approximate numbers of people and of
records concerned; (b) the name and contact details of the DPO; (c) the likely
consequences; (d) the measures taken or proposed. With them: when the organisation became
aware, the deadline, and (Art. 33(1)) the reason for any delay. What the case does not yet
say is listed as a gap for the ISO to fill before sending; nothing is invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from klaremont.incidents import clocks, log, service
from klaremont.incidents.ports import PluggedDirectory
from klaremont.incidents.states import (
    INVOLVEMENT_WORDS,
    KIND_WORDS,
    ActionKind,
    Decision,
    Recipient,
)

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident
    from klaremont.incidents.ports import StaffDirectory
    from klaremont.platform import UnitOfWork

DPO_ROLE = "dpo"


@dataclass(frozen=True, slots=True)
class IcoDraft:
    """The draft's content, as plain values."""

    reference: str
    nature: str
    what_happened: str
    systems: str
    personal_data: str
    card_data: str
    people_categories: str
    people_count: int | None
    record_categories: str
    record_count: int | None
    dpo: list[str]
    consequences: str
    measures_taken: list[str]
    measures_proposed: str
    aware_at: datetime
    aware_words: str
    deadline_words: str
    sent_words: str
    late_reason: str
    gaps: list[str] = field(default_factory=list)


def draft(uow: UnitOfWork, incident: Incident, directory: StaffDirectory | None = None) -> IcoDraft:
    """Draft the report from the case (the caller already may see the incident)."""
    people = (directory or PluggedDirectory(uow)).active()
    dpo = [
        f"{p.full_name} ({p.username}), Data Protection Officer"
        for p in people
        if DPO_ROLE in p.roles
    ]
    taken = [
        f"{clocks.uk_when(e.recorded_at)}: {e.text}"
        for e in log.entries(uow, incident)
        if e.kind is ActionKind.CONTAINMENT
    ]
    ico = next(r for r in service.notifications(uow, incident) if r.recipient is Recipient.ICO)
    deadline = clocks.ico_deadline(incident.aware_at, uow.policy.breach.notify_authority_hours)
    sent = (
        f"Sent {clocks.uk_when(ico.sent_at)}"
        if ico.decision is Decision.SENT and ico.sent_at
        else "Not sent yet"
    )
    gaps = [
        words
        for value, words in (
            (incident.people_categories, "categories of people concerned"),
            (incident.people_count, "approximate number of people concerned"),
            (incident.record_categories, "categories of records concerned"),
            (incident.record_count, "approximate number of records concerned"),
            (dpo, "the DPO's name and contact details"),
            (incident.consequences, "likely consequences"),
            (taken or incident.measures_proposed, "measures taken or proposed"),
        )
        if value is None or value in ("", [])
    ]
    return IcoDraft(
        reference=incident.reference,
        nature=KIND_WORDS[incident.kind],
        what_happened=incident.summary,
        systems=incident.systems or "",
        personal_data=INVOLVEMENT_WORDS[incident.personal_data],
        card_data=INVOLVEMENT_WORDS[incident.card_data],
        people_categories=incident.people_categories or "",
        people_count=incident.people_count,
        record_categories=incident.record_categories or "",
        record_count=incident.record_count,
        dpo=dpo,
        consequences=incident.consequences or "",
        measures_taken=taken,
        measures_proposed=incident.measures_proposed or "",
        aware_at=incident.aware_at,
        aware_words=clocks.uk_when(incident.aware_at),
        deadline_words=clocks.uk_when(deadline),
        sent_words=sent,
        late_reason=ico.late_reason or "",
        gaps=gaps,
    )
