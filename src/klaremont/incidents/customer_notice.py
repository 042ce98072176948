"""Telling the affected customers (SP-IRP-NOTIFY, UK GDPR Art. 34).

The ISO sends the breach notice from the case: one message to each affected customer's
address on file, queued in the mail outbox (template ``breach_notice``: the nature of the
breach, the DPO and how to reach them, the likely consequences, the measures taken or
proposed: Art. 34(2)). The addresses come through the customers capability's
``customer_contacts`` extension point; nothing of the person but their account reference
is kept here. Each person gets the notice once: their row is claimed with a conditional
update before the message is queued, so a second send (or two at once) queues nothing
more and is refused when nobody is left. The tracker's "affected customers" row is then
recorded as sent, with the count (:func:`klaremont.incidents.notify.decide`, which also
logs and audits it, and asks for the reason when it is late).

When the notice is not required, the ISO records it on the tracker with the ground and the
reasoning (:data:`EXEMPTIONS`, Art. 34(3)): e.g. the data was unintelligible to anyone
who took it (encrypted, keys not compromised).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import CursorResult, update

from klaremont import capabilities
from klaremont.errors import Conflict, ValidationFailed
from klaremont.incidents import affected, casework, notify, service, workflow
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.affected_models import IncidentAffected
from klaremont.incidents.ico_report import DPO_ROLE
from klaremont.incidents.log import resource_of
from klaremont.incidents.ports import PluggedDirectory
from klaremont.incidents.states import Decision, Recipient
from klaremont.mail.service import enqueue
from klaremont.mail.templates import BreachNotice

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident, IncidentNotification
    from klaremont.incidents.ports import StaffDirectory
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

CONTACTS_POINT = "customer_contacts"
#: ``customer_contacts(uow, subject_ids) -> [CustomerContact-like]``
Contacts = Callable[["UnitOfWork", Iterable[uuid.UUID]], Iterable[Any]]

#: The grounds on which the customers need not be told (Art. 34(3)), as the ISO picks them.
EXEMPTIONS: Final[dict[str, str]] = {
    "unintelligible": "The data was unintelligible to anyone who took it (encrypted, "
    "and the keys were not compromised): Art. 34(3)(a).",
    "risk_removed": "Measures taken since mean the high risk to people is no longer "
    "likely to materialise: Art. 34(3)(b).",
    "public_notice": "Telling each person would involve disproportionate effort; a public "
    "communication informs them as effectively instead: Art. 34(3)(c).",
}

#: The same grounds, short, as the console offers them.
GROUND_WORDS: Final[dict[str, str]] = {
    "unintelligible": "Data unintelligible (encrypted, keys not compromised)",
    "risk_removed": "High risk no longer likely after our measures",
    "public_notice": "A public notice instead (telling each is disproportionate)",
}


@dataclass(frozen=True, slots=True)
class NoticeText:
    """What the notice says, in the ISO's words for every affected person alike."""

    nature: str
    consequences: str
    measures: str
    late_reason: str | None = None


@dataclass(frozen=True, slots=True)
class NoticeRun:
    """What one send did."""

    sent: int  # queued now
    already: int  # told before
    without_address: list[str]  # account references with no address on file


def dpo_name(uow: UnitOfWork, directory: StaffDirectory | None = None) -> str | None:
    """The DPO's full name from the staff directory (the first, if several)."""
    people = (directory or PluggedDirectory(uow)).active()
    names = [p.full_name for p in people if DPO_ROLE in p.roles]
    return names[0] if names else None


def _contacts(uow: UnitOfWork, subject_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    found: dict[uuid.UUID, str] = {}
    for provider in capabilities.extensions(CONTACTS_POINT):
        for contact in cast("Contacts", provider)(uow, subject_ids):
            found.setdefault(uuid.UUID(str(contact.subject_id)), str(contact.email))
    return found


def tracker_row(uow: UnitOfWork, incident: Incident) -> IncidentNotification:
    """The tracker's "affected customers" row (made when the incident was reported)."""
    return next(
        row for row in service.notifications(uow, incident) if row.recipient is Recipient.CUSTOMERS
    )


def _claim(uow: UnitOfWork, row: IncidentAffected, by: str) -> bool:
    """Mark the person as told unless someone already did (one notice per person)."""
    result = uow.session.execute(
        update(IncidentAffected)
        .where(IncidentAffected.id == row.id, IncidentAffected.notice_sent_at.is_(None))
        .values(notice_sent_at=uow.clock.now(), notice_sent_by=by)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount == 1


def send(
    uow: UnitOfWork,
    viewer: Viewer,
    incident: Incident,
    text: NoticeText,
    directory: StaffDirectory | None = None,
) -> NoticeRun:
    """Queue the notice to every affected customer not told yet; record the tracker."""
    workflow.require_manager(viewer, incident)
    casework.require_open(incident)
    if tracker_row(uow, incident).decision is Decision.NOT_REQUIRED:
        raise Conflict(
            "Telling the affected customers is recorded as not required, so no notice is sent."
        )
    people = affected.affected(uow, incident)
    if not people:
        raise ValidationFailed.single("customers", "list the affected customers first")
    waiting = [row for row in people if row.notice_sent_at is None]
    if not waiting:
        raise Conflict("Every affected customer has already been sent the notice.")
    dpo = dpo_name(uow, directory)
    if dpo is None:
        raise ValidationFailed.single(
            "dpo", "the notice names the Data Protection Officer: nobody holds that role"
        )
    mail = BreachNotice(
        reference=incident.reference,
        nature=text.nature,
        consequences=text.consequences,
        measures=text.measures,
        dpo_name=dpo,
    )
    mail.render(uow.platform.settings.public_url)  # refuses bad text before anything is kept
    addresses = _contacts(uow, [row.subject_ref for row in waiting])
    by = (uow.actor.label or uow.actor.id)[:64]
    sent, missing = 0, []
    for row in waiting:
        address = addresses.get(row.subject_ref)
        if address is None:
            missing.append(row.customer_reference)
            continue
        if not _claim(uow, row, by):
            continue
        message = enqueue(uow, subject_id=row.subject_ref, to_address=address, mail=mail)
        uow.session.execute(
            update(IncidentAffected)
            .where(IncidentAffected.id == row.id)
            .values(notice_message_ref=message.id)
            .execution_options(synchronize_session=False)
        )
        sent += 1
    uow.session.expire_all()
    if not sent:
        raise Conflict(
            "No notice was sent: no affected customer left to tell has an e-mail address on "
            "file (" + ", ".join(missing) + ")."
            if missing
            else "Every affected customer has already been sent the notice."
        )
    told = sum(1 for row in affected.affected(uow, incident) if row.notice_sent_at is not None)
    notify.decide(
        uow,
        viewer,
        incident,
        notify.NotificationDecision(
            recipient=Recipient.CUSTOMERS,
            decision=Decision.SENT,
            their_reference=f"{told} customers told by e-mail",
            late_reason=text.late_reason,
        ),
    )
    uow.audit(
        IncidentAction.CUSTOMER_NOTICES_SENT,
        resource=resource_of(incident),
        details={
            "reference": incident.reference,
            "sent": sent,
            "told": told,
            "without_address": len(missing),
        },
    )
    return NoticeRun(sent=sent, already=len(people) - len(waiting), without_address=missing)


def exempt(
    uow: UnitOfWork, viewer: Viewer, incident: Incident, ground: str, reasoning: str
) -> None:
    """Record that the customers need not be told: the Art. 34(3) ground and the reasoning."""
    if ground not in EXEMPTIONS:
        raise ValidationFailed.single("ground", "choose one of the grounds")
    said = " ".join((reasoning or "").split())
    if len(said) < notify.REASONING_MIN:
        raise ValidationFailed.single(
            "reasoning", f"say why it applies here ({notify.REASONING_MIN} characters at least)"
        )
    if any(row.notice_sent_at for row in affected.affected(uow, incident)):
        raise Conflict("Some affected customers were already sent the notice.")
    notify.decide(
        uow,
        viewer,
        incident,
        notify.NotificationDecision(
            recipient=Recipient.CUSTOMERS,
            decision=Decision.NOT_REQUIRED,
            reasoning=f"{EXEMPTIONS[ground]} {said}",
        ),
    )
