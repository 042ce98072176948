"""Reporting an incident and finding one (SP-REPORT, SP-IRP-LOSS, SP-IRT visibility).

:func:`report` records what happened, stamps the moment of awareness (UTC, the platform
clock: the 72-hour clock starts there), opens the notification tracker, logs the report as
the first entry and alerts the ISO at once: a message to each active ISO through the
``role_mail`` extension point and an ``incident.iso_alerted`` audit event addressed to the
role (the ISO's console home lists it too, :mod:`klaremont.incidents.my_work`).

:func:`find` and :func:`visible` apply :mod:`klaremont.incidents.visibility` in the query;
an incident that exists but may not be seen answers as if it did not exist (404), and the
refused look is audited (``incident.access_denied``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from klaremont import capabilities, plausible
from klaremont.audit.events import Actor, Outcome
from klaremont.clock import uk_date
from klaremont.detectors.free_text import optional, plain
from klaremont.errors import NotFound, PermissionDenied
from klaremont.incidents import clocks, log
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.models import (
    SUMMARY_MAX,
    SYSTEMS_MAX,
    Incident,
    IncidentNotification,
    IncidentSeat,
)
from klaremont.incidents.states import (
    INVOLVEMENT_WORDS,
    KIND_WORDS,
    ActionKind,
    Decision,
    IncidentKind,
    IncidentState,
    Involvement,
    Recipient,
)

if TYPE_CHECKING:
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

ROLE_MAIL_POINT = "role_mail"
ISO_ROLE = "iso"
DIRECTOR_ROLE = "director"
SUMMARY_MIN = 10
REFERENCE = re.compile(r"INC-(\d{4})-(\d{4,6})")
LIST_MAX = 500
#: ``role_mail(uow, role, subject_line, body) -> messages queued`` (the staff capability's)
RoleMail = Callable[["UnitOfWork", str, str, str], int]


@dataclass(frozen=True, slots=True)
class NewReport:
    """What a member of staff reports (free text is checked by :func:`report`)."""

    kind: IncidentKind
    what_happened: str
    personal_data: Involvement
    card_data: Involvement
    noticed_at: datetime | None = None
    systems: str | None = None
    #: a test of the response plan (PCI DSS 12.10.2); the ISO starts one
    exercise: bool = False
    #: who reports, when not the unit's actor (the platform raising an incident itself)
    reporter: Actor | None = None


def mail_role(uow: UnitOfWork, role: str, subject_line: str, body: str) -> int:
    """Queue a notice to every active holder of ``role``; returns how many were queued."""
    queued = 0
    for notify in capabilities.extensions(ROLE_MAIL_POINT):
        queued += cast("RoleMail", notify)(uow, role, subject_line, body)
    return queued


def _next_number(uow: UnitOfWork, year: int) -> int:
    last = uow.session.scalar(select(func.max(Incident.number)).where(Incident.year == year))
    return (last or 0) + 1


def _insert(uow: UnitOfWork, build: Callable[[int, int], Incident], year: int) -> Incident:
    """Insert with the next number of the year; a number taken meanwhile is tried again."""
    for _attempt in range(5):
        number = _next_number(uow, year)
        incident = build(year, number)
        try:
            with uow.session.begin_nested():
                uow.session.add(incident)
                uow.session.flush()
        except IntegrityError:
            continue
        return incident
    msg = "could not number the incident: try again"
    raise RuntimeError(msg)


def report(uow: UnitOfWork, new: NewReport, viewer: Viewer | None = None) -> Incident:
    """Record a reported incident, open its tracker and alert the ISO.

    Only the ISO (``viewer`` manages incidents) starts an exercise.
    """
    if new.exercise and (viewer is None or not viewer.manages):
        msg = "only the Information Security Officer starts an exercise of the response plan"
        raise PermissionDenied(msg)
    summary = plain(
        "what_happened", new.what_happened, max_length=SUMMARY_MAX, min_length=SUMMARY_MIN
    )
    systems = optional("systems", new.systems, max_length=SYSTEMS_MAX)
    now = uow.clock.now()
    if new.noticed_at is not None:
        plausible.past_moment("noticed_at", new.noticed_at, now)
    actor = new.reporter or uow.actor

    def build(year: int, number: int) -> Incident:
        return Incident(
            reference=f"INC-{year}-{number:04d}",
            year=year,
            number=number,
            kind=new.kind,
            state=IncidentState.REPORTED,
            summary=summary,
            systems=systems,
            personal_data=new.personal_data,
            card_data=new.card_data,
            noticed_at=new.noticed_at,
            reported_at=now,
            aware_at=now,
            reporter_type=actor.type.value,
            reporter_id=actor.id,
            reporter_name=(actor.label or actor.id)[:64],
            state_changed_at=now,
            exercise=new.exercise,
        )

    incident = _insert(uow, build, uk_date(now).year)
    _open_tracker(uow, incident)
    uow.audit(
        IncidentAction.REPORTED,
        resource=log.resource_of(incident),
        details={
            "reference": incident.reference,
            "kind": incident.kind.value,
            "personal_data": incident.personal_data.value,
            "card_data": incident.card_data.value,
            "aware_at": now.strftime(log.TIME_FORMAT),
            "exercise": incident.exercise,
        },
    )
    log.append(
        uow,
        incident,
        ActionKind.COMMUNICATION,
        ("Exercise (a test of the response plan). " if incident.exercise else "")
        + f"Reported by {incident.reporter_name}: {KIND_WORDS[incident.kind].lower()}. "
        "The ISO was alerted.",
    )
    alert_iso(uow, incident)
    return incident


def _open_tracker(uow: UnitOfWork, incident: Incident) -> None:
    hours = uow.policy.breach.notify_authority_hours
    card = incident.card_data is not Involvement.NO
    for recipient in Recipient:
        due = clocks.due_at(recipient, incident.aware_at, hours)
        if recipient is Recipient.PAYMENT_PROVIDER and not card:
            due = None  # no card data reported: no clock, a decision is still needed
        uow.session.add(
            IncidentNotification(
                incident_id=incident.id, recipient=recipient, decision=Decision.PENDING, due_at=due
            )
        )
    uow.session.flush()


def alert_iso(uow: UnitOfWork, incident: Incident) -> int:
    """Tell every active ISO now (mail) and record the alert (audit, on the incident)."""
    hours = uow.policy.breach.notify_authority_hours
    due = clocks.ico_deadline(incident.aware_at, hours)
    subject = (
        f"Exercise (a test of the response plan): {incident.reference}"
        if incident.exercise
        else f"Security incident reported: {incident.reference}"
    )
    body = (
        "Hello,\n\n"
        f"A suspected security incident was reported on {clocks.uk_when(incident.reported_at)} "
        f"as {incident.reference}: {KIND_WORDS[incident.kind].lower()}. Personal data may be "
        f"involved: {INVOLVEMENT_WORDS[incident.personal_data].lower()}. Card data may be "
        f"involved: {INVOLVEMENT_WORDS[incident.card_data].lower()}.\n\n"
        "The time allowed for telling the Information Commissioner's Office started when it "
        f"was reported: {hours} hours, so by {clocks.uk_when(due)} unless your investigation "
        "finds it is not required. Open Incidents in the staff console to start the initial "
        "investigation.\n\nKlaremont"
    )
    messages = mail_role(uow, ISO_ROLE, subject, body)
    incident.iso_alerted_at = uow.clock.now()
    incident.iso_alert_messages = messages
    uow.audit(
        IncidentAction.ISO_ALERTED,
        resource=f"role:{ISO_ROLE}",
        details={"routed_to": ISO_ROLE, "reference": incident.reference, "messages": messages},
    )
    uow.session.flush()
    return messages


def members(uow: UnitOfWork, incident: Incident) -> set[str]:
    """The usernames sitting on the incident's team."""
    return set(
        uow.session.scalars(
            select(IncidentSeat.username).where(IncidentSeat.incident_id == incident.id)
        )
    )


def clean_reference(reference: str) -> str | None:
    """The reference in its stored form, or ``None`` when it is not shaped like one."""
    text = reference.strip().upper()
    return text if REFERENCE.fullmatch(text) else None


def find(uow: UnitOfWork, viewer: Viewer, reference: str) -> Incident:
    """The incident ``reference`` if ``viewer`` may see it; otherwise 404 (the look audited)."""
    cleaned = clean_reference(reference)
    incident = (
        uow.session.scalars(select(Incident).where(Incident.reference == cleaned)).first()
        if cleaned
        else None
    )
    missing = NotFound(f"There is no incident {cleaned or 'with that reference'} that you may see.")
    if incident is None:
        raise missing
    if not viewer.may_see(members(uow, incident)):
        resource = log.resource_of(incident)
        uow.keep_only_refusal(
            lambda: uow.audit(
                IncidentAction.ACCESS_DENIED,
                Outcome.DENIED,
                resource=resource,
                details={"why": "not on the response team, not the ISO, a director or the DPO"},
            )
        )
        raise missing
    return incident


def visible(
    uow: UnitOfWork, viewer: Viewer, *, state: IncidentState | None = None, limit: int = LIST_MAX
) -> list[Incident]:
    """The incidents ``viewer`` may see, newest first (filtered in the query)."""
    query = select(Incident)
    if not viewer.oversees:
        on_team = select(IncidentSeat.incident_id).where(IncidentSeat.username == viewer.username)
        query = query.where(Incident.id.in_(on_team))
    if state is not None:
        query = query.where(Incident.state == state)
    query = query.order_by(Incident.reported_at.desc(), Incident.number.desc()).limit(limit)
    return list(uow.session.scalars(query))


def notifications(uow: UnitOfWork, incident: Incident) -> list[IncidentNotification]:
    """The incident's tracker, in the order of :class:`Recipient`."""
    rows = uow.session.scalars(
        select(IncidentNotification).where(IncidentNotification.incident_id == incident.id)
    )
    order = list(Recipient)
    return sorted(rows, key=lambda row: order.index(row.recipient))
