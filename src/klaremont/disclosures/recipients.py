"""Recipients, seen from the person's side (UK GDPR Art. 15(1)(c) and Art. 19).

* :func:`for_subject` answers the rights capability's ``subject_recipients`` point: every
  exported disclosure that covered this person (who, why, on what basis, when, which
  categories) and every Art. 19 notice sent to that recipient, so the person's access copy
  lists them.
* The handlers below subscribe to the announcements of a rectification (the customer
  store's ``CustomerRectified``), a restriction and an erasure (the rights capability's
  ``SubjectRestricted`` and ``SubjectErased``): each recipient that received the person's
  data in an exported disclosure is told through the mail outbox, once per change, what
  changed (field or category names, never values); a recipient without a mailbox is
  recorded as not told, with the reason. Each notice is audited.

Processors are told too when they hold the person's data now: the processors capability
answers the point ``data_holders`` (a support share exported to a partner and not yet
confirmed deleted), with the partner's contact address.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from klaremont import capabilities
from klaremont.disclosures.actions import DisclosureAction
from klaremont.disclosures.models import (
    DisclosedPerson,
    Disclosure,
    DisclosureState,
    RecipientNotice,
)
from klaremont.disclosures.notice import RecipientUpdate
from klaremont.disclosures.service import BASIS_WORDS, KIND_WORDS, split
from klaremont.mail.service import enqueue

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from klaremont.customers.announcements import CustomerRectified
    from klaremont.platform import UnitOfWork
    from klaremont.rights.announcements import SubjectErased, SubjectRestricted

SUBJECTS_POINT = "customer_subjects"
#: ``data_holders(uow, subject_id) -> [{"who", "contact", "reference", "account"}]``:
#: processors holding the person's data now (the processors capability answers)
HOLDERS_POINT = "data_holders"


def _received(uow: UnitOfWork, subject_id: uuid.UUID) -> list[tuple[Disclosure, DisclosedPerson]]:
    query = (
        select(Disclosure, DisclosedPerson)
        .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
        .where(
            DisclosedPerson.subject_id == subject_id,
            Disclosure.state == DisclosureState.EXPORTED,
        )
        .order_by(Disclosure.exported_at)
    )
    return [(row[0], row[1]) for row in uow.session.execute(query)]


def _told(notice: RecipientNotice) -> dict[str, Any]:
    return {
        "change": notice.change,
        "what": notice.what,
        "on": notice.told_at.date().isoformat(),
        "how": "by e-mail" if notice.queued else "not told: no mailbox on record",
    }


def for_subject(uow: UnitOfWork, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """Extension point ``subject_recipients``: the disclosures of this person's data."""
    found = _received(uow, subject_id)
    notices = list(
        uow.session.scalars(
            select(RecipientNotice)
            .where(RecipientNotice.subject_id == subject_id)
            .order_by(RecipientNotice.told_at)
        )
    )
    out: list[dict[str, Any]] = []
    for disclosure, _person in found:
        told = [n for n in notices if n.disclosure_id == disclosure.id]
        out.append(
            {
                "who": disclosure.recipient_name,
                "why": (
                    f"disclosed to the {KIND_WORDS[disclosure.recipient_kind].lower()} "
                    f"({disclosure.reference}) on the basis of "
                    f"{BASIS_WORDS[disclosure.basis_kind].lower()}: {disclosure.basis_reference}"
                ),
                "country": disclosure.recipient_country,
                "disclosed_on": disclosure.exported_at.date().isoformat()
                if disclosure.exported_at
                else None,
                "your_data_categories": split(disclosure.categories),
                "told_of_changes": [_told(n) for n in told],
            }
        )
    others = [n for n in notices if n.disclosure_id is None]
    for name in sorted({n.recipient for n in others}):
        theirs = [n for n in others if n.recipient == name]
        out.append(
            {
                "who": name,
                "why": "a processor that held your data when it changed "
                f"({', '.join(sorted({n.reference for n in theirs}))})",
                "told_of_changes": [_told(n) for n in theirs],
            }
        )
    return out


def notices_of(uow: UnitOfWork, disclosure: Disclosure) -> list[RecipientNotice]:
    """The Art. 19 notices about this disclosure's people, oldest first."""
    query = (
        select(RecipientNotice)
        .where(RecipientNotice.disclosure_id == disclosure.id)
        .order_by(RecipientNotice.told_at)
    )
    return list(uow.session.scalars(query))


def _notice(uow: UnitOfWork, subject_id: uuid.UUID, change: str, what: str, to: _To) -> bool:
    """Queue one notice to ``to`` (when it has a mailbox), record it and audit it."""
    message_id: uuid.UUID | None = None
    if to.contact:
        mail = RecipientUpdate(
            disclosure=to.reference, account=to.account, change=change, what=what
        )
        message = enqueue(uow, subject_id=subject_id, to_address=to.contact, mail=mail)
        message_id = message.id
    uow.session.add(
        RecipientNotice(
            disclosure_id=to.disclosure_id,
            recipient=to.who[:128],
            reference=to.reference[:20],
            subject_id=subject_id,
            change=change,
            what=what[:400],
            queued=message_id is not None,
            message_id=message_id,
            told_at=uow.clock.now(),
        )
    )
    uow.audit(
        DisclosureAction.RECIPIENT_TOLD,
        resource=f"subject:{subject_id}",
        details={"reference": to.reference, "change": change, "queued": message_id is not None},
    )
    return message_id is not None


@dataclass(frozen=True, slots=True)
class _To:
    who: str
    contact: str | None
    reference: str
    account: str
    disclosure_id: uuid.UUID | None = None


def _holders(uow: UnitOfWork, subject_id: uuid.UUID) -> list[_To]:
    found: list[_To] = []
    for provider in capabilities.extensions(HOLDERS_POINT):
        answer = cast("Callable[[UnitOfWork, uuid.UUID], Iterable[Any]]", provider)
        found.extend(
            _To(
                who=str(held["who"]),
                contact=str(held["contact"]) if held.get("contact") else None,
                reference=str(held["reference"]),
                account=str(held["account"]),
            )
            for held in answer(uow, subject_id)
        )
    return found


def tell(uow: UnitOfWork, subject_id: uuid.UUID, change: str, what: str) -> str:
    """Tell every recipient of this person's data about ``change``: each exported
    disclosure's recipient and each processor holding it (audited per notice)."""
    targets = [
        _To(
            who=disclosure.recipient_name,
            contact=disclosure.recipient_contact,
            reference=disclosure.reference,
            account=person.customer_reference,
            disclosure_id=disclosure.id,
        )
        for disclosure, person in _received(uow, subject_id)
    ]
    targets += _holders(uow, subject_id)
    queued = sum(_notice(uow, subject_id, change, what, to) for to in targets)
    uow.session.flush()
    return f"{queued} of {len(targets)} recipient(s) told"


def on_customer_rectified(uow: UnitOfWork, event: CustomerRectified) -> str:
    """A rectification: tell the recipients of each person whose account was corrected."""
    subjects: dict[uuid.UUID, uuid.UUID] = {}
    for provider in capabilities.extensions(SUBJECTS_POINT):
        answer = cast("Callable[[UnitOfWork, Iterable[uuid.UUID]], dict[Any, Any]]", provider)
        subjects.update(answer(uow, event.customer_ids))
    fields = sorted({f.rsplit(".", 1)[-1].replace("_", " ") for f in event.fields})
    what = ", ".join(fields) or "personal details"
    said = [tell(uow, subject, "rectified", what) for subject in sorted(set(subjects.values()))]
    return "; ".join(said) or "no recipients"


def on_subject_restricted(uow: UnitOfWork, event: SubjectRestricted) -> str:
    """A restriction: tell the recipients."""
    return tell(uow, event.subject_id, "restricted", "all data")


def on_subject_erased(uow: UnitOfWork, event: SubjectErased) -> str:
    """An erasure: tell the recipients."""
    return tell(uow, event.subject_id, "erased", "all data")
