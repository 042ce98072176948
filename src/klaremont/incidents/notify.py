"""The notification tracker's decisions (SP-IRP-NOTIFY): who was told, when, or why not.

For each party (the ICO, the affected customers, the payment service provider and card
brands, the police) the ISO records *sent* (when, their reference; for the ICO whether it
is the complete report or an initial one with more to follow, Art. 33(4)) or *not required*
with the reasoning (for customers, e.g. the data was unintelligible to anyone who took it:
encrypted with keys not compromised, Art. 34(3)(a)). A report sent after its deadline
needs the reason it is late (Art. 33(1)). A decision may be revised while the case is open;
each one is logged and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from klaremont import plausible
from klaremont.detectors.free_text import optional
from klaremont.errors import ValidationFailed
from klaremont.incidents import casework, clocks, log, service, workflow
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.models import TEXT_MAX
from klaremont.incidents.states import RECIPIENT_WORDS, ActionKind, Decision, IcoPhase, Recipient

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident, IncidentNotification
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

REFERENCE_MAX = 100
REASONING_MIN = 10


@dataclass(frozen=True, slots=True)
class NotificationDecision:
    """What the ISO records for one party."""

    recipient: Recipient
    decision: Decision
    sent_at: datetime | None = None
    their_reference: str | None = None
    reasoning: str | None = None
    late_reason: str | None = None
    phase: IcoPhase | None = None


def _row(uow: UnitOfWork, incident: Incident, recipient: Recipient) -> IncidentNotification:
    for row in service.notifications(uow, incident):
        if row.recipient is recipient:
            return row
    msg = f"{incident.reference} has no tracker row for {recipient.value}"  # made at report time
    raise LookupError(msg)


def decide(
    uow: UnitOfWork, viewer: Viewer, incident: Incident, said: NotificationDecision
) -> IncidentNotification:
    """Record the decision for one party (the ISO's)."""
    workflow.require_manager(viewer, incident)
    casework.require_open(incident)
    row = _row(uow, incident, said.recipient)
    now = uow.clock.now()
    reasoning = optional("reasoning", said.reasoning, max_length=TEXT_MAX)
    late = optional("late_reason", said.late_reason, max_length=TEXT_MAX)
    reference = optional("their_reference", said.their_reference, max_length=REFERENCE_MAX)
    words = RECIPIENT_WORDS[said.recipient]
    if said.decision is Decision.PENDING:
        raise ValidationFailed.single("decision", "sent or not required")
    if said.decision is Decision.NOT_REQUIRED:
        if reasoning is None or len(reasoning) < REASONING_MIN:
            raise ValidationFailed.single(
                "reasoning", f"say why it is not required ({REASONING_MIN} characters at least)"
            )
        row.sent_at = row.their_reference = row.late_reason = row.phase = None
        row.reasoning = reasoning
        text = f"{words}: not required. {reasoning}"
        kind = ActionKind.DECISION
    else:
        sent_at = plausible.past_moment("sent_at", said.sent_at or now, now)
        if sent_at < incident.reported_at:
            raise ValidationFailed.single("sent_at", "must not be before the incident was reported")
        if row.due_at is not None and sent_at > row.due_at and late is None:
            raise ValidationFailed.single(
                "late_reason",
                f"it was sent after its deadline ({clocks.uk_when(row.due_at)}): say why",
            )
        phase = (said.phase or IcoPhase.COMPLETE) if said.recipient is Recipient.ICO else None
        row.sent_at, row.their_reference, row.phase, row.reasoning = sent_at, reference, phase, None
        row.late_reason = late if row.due_at is not None and sent_at > row.due_at else None
        text = f"{words}: told on {clocks.uk_when(sent_at)}"
        text += f", their reference {reference}" if reference else ""
        text += "; an initial report, more to follow" if phase is IcoPhase.INITIAL else ""
        text += f". Late because: {row.late_reason}" if row.late_reason else "."
        kind = ActionKind.COMMUNICATION
    row.decision = said.decision
    row.decided_by = (uow.actor.label or uow.actor.id)[:64]
    row.decided_at = now
    uow.session.flush()
    log.append(uow, incident, kind, text)
    uow.audit(
        IncidentAction.NOTIFICATION_DECIDED,
        resource=log.resource_of(incident),
        details={
            "reference": incident.reference,
            "recipient": said.recipient.value,
            "decision": said.decision.value,
            "late": row.late_reason is not None,
            "phase": row.phase.value if row.phase else None,
        },
    )
    return row


def overdue(row: IncidentNotification, now: datetime) -> bool:
    """Undecided past its deadline."""
    return row.decision is Decision.PENDING and row.due_at is not None and now >= row.due_at


def missed_without_reason(row: IncidentNotification, now: datetime) -> bool:
    """A deadline missed with no reason on record: still undecided past it, or sent after it
    with no reason (the service refuses that; an edited row could still hold it)."""
    if overdue(row, now):
        return True
    if row.decision is not Decision.SENT or row.due_at is None or row.sent_at is None:
        return False
    return row.sent_at > row.due_at and not row.late_reason
