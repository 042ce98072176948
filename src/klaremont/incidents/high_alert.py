"""High alert (SP-IRP-EVIDENCE "high alert"): while an incident is open, every read of an
affected customer's personal data alerts the incident's team.

The customers capability announces each read of one person's data through the
``personal_read`` extension point (:mod:`klaremont.personal_reads`); :func:`on_read` is
this capability's watcher. For each open incident (not dismissed, not closed) listing the
person it appends an automatic entry to the action log (who read, what, for which purpose,
the account reference: never a personal value), records the alert, audits it
(``incident.high_alert``) and mails the team's members through the staff capability's
``staff_mail`` point (the ISO's ``role_mail`` while no team is appointed). The mail says
the incident, the account reference and the reader only. Repeated reads of the same
person by the same reader within :data:`MAIL_QUIET` are each logged, but mailed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy import exists, select

from klaremont import capabilities
from klaremont.db.engine import is_sqlite
from klaremont.incidents import clocks, log, service
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.affected_models import IncidentAffected, IncidentReadAlert
from klaremont.incidents.models import Incident
from klaremont.incidents.states import OPEN_STATES, ActionKind

if TYPE_CHECKING:
    from klaremont.personal_reads import PersonalRead
    from klaremont.platform import UnitOfWork

STAFF_MAIL_POINT = "staff_mail"
#: ``staff_mail(uow, usernames, subject_line, body) -> messages queued``
StaffMail = Callable[["UnitOfWork", Iterable[str], str, str], int]
MAIL_QUIET = timedelta(hours=1)


def mail_team(uow: UnitOfWork, incident: Incident, subject_line: str, body: str) -> int:
    """Mail the incident's team (the ISO role while no team is appointed)."""
    team = sorted(service.members(uow, incident))
    if not team:
        return service.mail_role(uow, service.ISO_ROLE, subject_line, body)
    queued = 0
    for notify in capabilities.extensions(STAFF_MAIL_POINT):
        queued += cast("StaffMail", notify)(uow, team, subject_line, body)
    return queued


def _recently_mailed(uow: UnitOfWork, incident: Incident, read: PersonalRead, reader: str) -> bool:
    since = uow.clock.now() - MAIL_QUIET
    query = select(
        exists().where(
            IncidentReadAlert.incident_id == incident.id,
            IncidentReadAlert.subject_ref == read.subject_id,
            IncidentReadAlert.reader == reader,
            IncidentReadAlert.read_at > since,
            IncidentReadAlert.messages > 0,
        )
    )
    return bool(uow.session.scalar(query))


def on_read(uow: UnitOfWork, read: PersonalRead) -> None:
    """The ``personal_read`` watcher: alert each open incident that lists the person.

    The check is one indexed read in the reader's unit; only a read that alerts writes.
    A read on a server database runs statement by statement (a read-only unit in
    autocommit), where the alert's entry, row, event and mail would each land on their own;
    there the alert is written in a unit of work of its own, all or nothing. On SQLite the
    reader's unit is one transaction already (and holds the one write lock once the read is
    audited), so the alert joins it.
    """
    found = _listing(uow, read)
    if not found:
        return
    if uow.read_only and not is_sqlite(uow.platform.engine):
        with uow.platform.unit_of_work(
            actor=uow.actor, origin=uow.origin, request_id=uow.request_id
        ) as own:
            _alert(own, read, _listing(own, read))  # its own objects, in its own transaction
        return
    _alert(uow, read, found)


def _listing(uow: UnitOfWork, read: PersonalRead) -> list[tuple[Incident, str]]:
    """The open incidents that list the person, with the account reference they listed."""
    rows = uow.session.execute(
        select(Incident, IncidentAffected.customer_reference)
        .join(IncidentAffected, IncidentAffected.incident_id == Incident.id)
        .where(IncidentAffected.subject_ref == read.subject_id, Incident.state.in_(OPEN_STATES))
        .order_by(Incident.reference)
    ).all()
    return [(incident, customer) for incident, customer in rows]


def _alert(uow: UnitOfWork, read: PersonalRead, rows: list[tuple[Incident, str]]) -> None:
    reader = (uow.actor.label or uow.actor.id)[:128]
    now = uow.clock.now()
    for incident, customer in rows:
        words = (
            f"High alert: the personal data of affected customer {customer} was read by "
            f"{reader} ({read.what}, for {read.purpose.replace('_', ' ')}) on "
            f"{clocks.uk_when(now)}."
        )
        entry = log.append(uow, incident, ActionKind.INVESTIGATION, words)
        messages = 0
        if not _recently_mailed(uow, incident, read, reader):
            body = (
                f"Hello,\n\nHigh alert on incident {incident.reference}: the personal data of "
                f"an affected customer (account {customer}) was read by {reader} on "
                f"{clocks.uk_when(now)}. It is on the incident's action log as entry "
                f"{entry.number}. Open the incident in the staff console to review it.\n\n"
                "Klaremont"
            )
            messages = mail_team(
                uow, incident, f"High alert on incident {incident.reference}", body
            )
        uow.session.add(
            IncidentReadAlert(
                incident_id=incident.id,
                subject_ref=read.subject_id,
                customer_reference=customer,
                reader=reader,
                what=read.what[:32],
                purpose=read.purpose[:32],
                read_at=now,
                action_number=entry.number,
                messages=messages,
            )
        )
        uow.session.flush()
        uow.audit(
            IncidentAction.HIGH_ALERT,
            resource=log.resource_of(incident),
            details={
                "reference": incident.reference,
                "customer": customer,
                "what": read.what,
                "purpose": read.purpose,
                "messages": messages,
            },
        )


def alerts(uow: UnitOfWork, incident: Incident) -> list[IncidentReadAlert]:
    """The incident's high-alert reads, newest first."""
    return list(
        uow.session.scalars(
            select(IncidentReadAlert)
            .where(IncidentReadAlert.incident_id == incident.id)
            .order_by(IncidentReadAlert.read_at.desc(), IncidentReadAlert.action_number.desc())
        )
    )
