"""The ``incident-deadlines`` job: warn before each notification deadline, escalate a miss.

Every run looks at the undecided notifications of open incidents that have a deadline
(:mod:`klaremont.incidents.clocks`). When a warning point (24 and 6 hours before) or the
deadline itself has been reached and that stage was not raised yet, it is raised once: an
``incident_deadline_alerts`` row (unique per incident, party and stage, so a re-run or a
second worker raises nothing twice), a message through the ``role_mail`` extension point
(warnings to the ISO; a missed deadline to the directors and the ISO) and an audit event
addressed to the role. A run after a gap raises only the latest stage reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from klaremont.incidents import clocks
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.models import Incident, IncidentDeadlineAlert, IncidentNotification
from klaremont.incidents.service import DIRECTOR_ROLE, ISO_ROLE, mail_role
from klaremont.incidents.states import OPEN_STATES, RECIPIENT_IN_SENTENCE, Decision

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork


@dataclass(frozen=True, slots=True)
class Raised:
    """One alert raised by a run."""

    reference: str
    recipient: str
    stage: str
    messages: int


def _message(incident: Incident, row: IncidentNotification, stage: str) -> tuple[str, str]:
    assert row.due_at is not None  # noqa: S101 - only rows with a deadline are alerted
    words = RECIPIENT_IN_SENTENCE[row.recipient]
    when = clocks.uk_when(row.due_at)
    if stage == clocks.MISSED:
        subject = f"Missed: notification deadline of {incident.reference}"
        what = (
            f"The deadline for telling {words} about incident {incident.reference} was "
            f"{when}, and nothing is recorded as sent or as not required. If it is sent now, "
            "the reason for the delay must be recorded with it."
        )
    else:
        subject = f"Due in {stage}: notification for {incident.reference}"
        what = (
            f"The deadline for telling {words} about incident {incident.reference} is "
            f"{when}. Nothing is recorded as sent or as not required yet."
        )
    if incident.exercise:
        subject = f"Exercise: {subject}"
    body = (
        f"Hello,\n\n{what} The incident's page in the staff console has the tracker.\n\nKlaremont"
    )
    return subject, body


def _raise(
    uow: UnitOfWork, incident: Incident, row: IncidentNotification, stage: str
) -> Raised | None:
    try:
        with uow.session.begin_nested():
            alert = IncidentDeadlineAlert(
                incident_id=incident.id,
                recipient=row.recipient,
                stage=stage,
                raised_at=uow.clock.now(),
            )
            uow.session.add(alert)
            uow.session.flush()
    except IntegrityError:
        return None  # another worker raised it
    subject, body = _message(incident, row, stage)
    # A missed deadline goes to the directors; in an exercise the ISO alone plays it out.
    escalate = stage == clocks.MISSED and not incident.exercise
    roles = (DIRECTOR_ROLE, ISO_ROLE) if escalate else (ISO_ROLE,)
    messages = sum(mail_role(uow, role, subject, body) for role in roles)
    alert.messages = messages
    action = (
        IncidentAction.DEADLINE_MISSED
        if stage == clocks.MISSED
        else IncidentAction.DEADLINE_WARNING
    )
    uow.audit(
        action,
        resource=f"role:{roles[0]}",
        details={
            "routed_to": list(roles),
            "reference": incident.reference,
            "recipient": row.recipient.value,
            "stage": stage,
            "messages": messages,
        },
    )
    return Raised(incident.reference, row.recipient.value, stage, messages)


def check(uow: UnitOfWork) -> list[Raised]:
    """Raise every warning or escalation now due and not yet raised."""
    now = uow.clock.now()
    rows = uow.session.execute(
        select(Incident, IncidentNotification)
        .join(IncidentNotification, IncidentNotification.incident_id == Incident.id)
        .where(
            Incident.state.in_(list(OPEN_STATES)),
            IncidentNotification.decision == Decision.PENDING,
            IncidentNotification.due_at.is_not(None),
        )
        .order_by(Incident.number)
    ).all()
    open_ids = list({incident.id for incident, _ in rows})
    done = {
        (alert.incident_id, alert.recipient, alert.stage)
        for alert in uow.session.scalars(
            select(IncidentDeadlineAlert).where(IncidentDeadlineAlert.incident_id.in_(open_ids))
        )
    }
    raised: list[Raised] = []
    for incident, row in rows:
        assert row.due_at is not None  # noqa: S101 - filtered in the query
        stage = clocks.reached(incident.aware_at, row.due_at, now)
        if stage is None or (incident.id, row.recipient, stage.name) in done:
            continue
        found = _raise(uow, incident, row, stage.name)
        if found is not None:
            raised.append(found)
    return raised


def run(platform: Platform) -> str:
    """The scheduled job: one line saying what it raised."""
    with platform.unit_of_work() as uow:
        raised = check(uow)
    warned = sum(1 for r in raised if r.stage != clocks.MISSED)
    return f"notification deadlines: {warned} warnings, {len(raised) - warned} escalations"
