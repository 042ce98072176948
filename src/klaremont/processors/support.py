"""Support shares (PP-SUPPORT): data given to an IT support partner against a ticket, which
the partner must delete once the issue is resolved.

A share names the ticket, the support partner (a processor with the ``support`` purpose, a
data processing agreement in force and a country the transfer guard allows), the customers
(account references, through the customers capability's ``customer_lookup`` point), the
fields from a fixed, minimised list (card data is never offered), whether identity is
pseudonymised, and why. Resolving the ticket sets the deletion due date (resolution + the
policy's ``support_shares.deletion_days_after_resolution``) and mails the partner a
single-use confirmation link (:mod:`klaremont.processors.support_link`). A share past its
due date without the partner's confirmation is overdue: the DPO's list shows it and the
PP-SUPPORT live check fails.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, select

from klaremont import capabilities
from klaremont.detectors.free_text import plain
from klaremont.errors import NotFound, ValidationFailed
from klaremont.policy.purposes import Purpose
from klaremont.processors import service
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.models import (
    EMAIL_MAX,
    TEXT_MAX,
    TICKET_MAX,
    Processor,
    SupportShare,
)
from klaremont.processors.share import dpa_problem
from klaremont.transfers import guard

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date

    from klaremont.platform import UnitOfWork

LOOKUP_POINT = "customer_lookup"
MAX_CUSTOMERS = 25
REASON_MIN = 10
TICKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}")
EMAIL = re.compile(r"[^\s@,;<>\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class SupportField(StrEnum):
    """The only fields a support share can carry (minimised; card data is never offered)."""

    ORDER_NUMBERS = "order_numbers"
    PRODUCT_LINES = "product_lines"
    DELIVERY_TOWN = "delivery_town"
    NAME = "name"
    EMAIL = "email"


FIELD_WORDS: dict[SupportField, str] = {
    SupportField.ORDER_NUMBERS: "order numbers",
    SupportField.PRODUCT_LINES: "product lines",
    SupportField.DELIVERY_TOWN: "delivery town",
    SupportField.NAME: "name",
    SupportField.EMAIL: "e-mail address",
}
#: fields that say who someone is: never sent when identity is pseudonymised
IDENTITY = frozenset({SupportField.NAME, SupportField.EMAIL})


class ShareState(StrEnum):
    """Where a support share stands."""

    OPEN = "open"
    RESOLVED = "awaiting confirmation"
    OVERDUE = "overdue"
    CONFIRMED = "deletion confirmed"


def state_of(share: SupportShare, today: date) -> ShareState:
    """The share's state today."""
    if share.confirmed_at is not None:
        return ShareState.CONFIRMED
    if share.due_on is None:
        return ShareState.OPEN
    return ShareState.OVERDUE if share.due_on < today else ShareState.RESOLVED


def fields_of(values: Iterable[str]) -> list[SupportField]:
    """Fields by value, or a refusal naming the field and the choices (card data is none)."""
    found: list[SupportField] = []
    for value in values:
        try:
            found.append(SupportField(value.strip()))
        except ValueError:
            choices = ", ".join(f.value for f in SupportField)
            raise ValidationFailed.single(
                "fields",
                f"{value.strip()[:40]!r} is not one of {choices} (card data is never shared)",
            ) from None
    if not found:
        raise ValidationFailed.single("fields", "choose at least one field")
    return sorted(set(found), key=list(SupportField).index)


def _ticket(value: str) -> str:
    ticket = plain("ticket", value, max_length=TICKET_MAX)
    if not TICKET.fullmatch(ticket):
        raise ValidationFailed.single(
            "ticket", "letters, digits and - _ . / only, at most 40, e.g. T-2026-0142"
        )
    return ticket


def _customers(uow: UnitOfWork, values: Iterable[str]) -> list[str]:
    wanted = [v.strip() for v in values if v.strip()]
    if not wanted:
        raise ValidationFailed.single("customers", "name at least one customer account reference")
    if len(wanted) > MAX_CUSTOMERS:
        raise ValidationFailed.single("customers", f"at most {MAX_CUSTOMERS} customers a share")
    providers = capabilities.extensions(LOOKUP_POINT)
    references: list[str] = []
    for text in wanted:
        if "@" in text:
            raise ValidationFailed.single("customers", "name customers by account reference")
        found = {
            str(ref.reference)
            for provider in providers
            for ref in cast("Callable[[UnitOfWork, str], Iterable[Any]]", provider)(uow, text)
        }
        if len(found) != 1:
            raise ValidationFailed.single(
                "customers", f"no customer has the account reference {text[:16]!r}"
            )
        references.extend(found)
    return sorted(set(references))


def support_partner(uow: UnitOfWork, key: str) -> Processor:
    """The processor ``key`` if it may receive a support share today, or a refusal."""
    processor = service.find(uow, key)
    if Purpose.SUPPORT.value not in service.split(processor.purposes):
        raise ValidationFailed.single(
            "processor", f"{processor.name} is not recorded as a support partner"
        )
    problem = dpa_problem(processor, uow.clock.now().date())
    if problem is not None:
        raise ValidationFailed.single("processor", f"{problem} (UK GDPR Art. 28)")
    if not processor.contact_email:
        raise ValidationFailed.single(
            "processor",
            f"{processor.name} has no contact address for deletion confirmations; record one",
        )
    return processor


def set_contact(uow: UnitOfWork, key: str, address: str) -> Processor:
    """Record where a processor's deletion-confirmation links are sent."""
    processor = service.find(uow, key)
    text = address.strip()
    if len(text) > EMAIL_MAX or not EMAIL.fullmatch(text):
        raise ValidationFailed.single(
            "contact_email", "an e-mail address such as dpo@partner.example"
        )
    processor.contact_email = text
    uow.audit(ProcessorAction.CONTACT_RECORDED, resource=f"processor:{processor.key}")
    return processor


def open_share(
    uow: UnitOfWork,
    *,
    ticket: str,
    processor: str,
    customers: Iterable[str],
    fields: Iterable[str],
    pseudonymised: bool,
    reason: str,
) -> SupportShare:
    """Open a support share after every check (audited); nothing is sent until exported."""
    ticket_ref = _ticket(ticket)
    chosen = fields_of(fields)
    if pseudonymised and IDENTITY & set(chosen):
        raise ValidationFailed.single(
            "fields", "name and e-mail address are not sent when identity is pseudonymised"
        )
    why = plain("reason", reason, max_length=TEXT_MAX, min_length=REASON_MIN)
    partner = support_partner(uow, processor)
    people = _customers(uow, customers)
    verdict = guard(
        uow,
        country=partner.country,
        recipient=partner.key,
        path="support_share",
        field="processor",
        resource=f"processor:{partner.key}",
    )
    prefix = f"SS-{uow.clock.now().year}-"
    count = uow.session.scalar(
        select(func.count()).where(SupportShare.reference.like(prefix + "%"))
    )
    made = SupportShare(
        reference=f"{prefix}{int(count or 0) + 1:04d}",
        ticket=ticket_ref,
        processor_id=partner.id,
        customers=",".join(people),
        fields=",".join(f.value for f in chosen),
        pseudonymised=pseudonymised,
        reason=why,
        basis=verdict.basis[:TEXT_MAX],
        opened_at=uow.clock.now(),
        opened_by=service.who(uow),
    )
    uow.session.add(made)
    uow.session.flush()
    uow.audit(
        ProcessorAction.SUPPORT_SHARE_OPENED,
        resource=f"support-share:{made.reference}",
        details={
            "ticket": ticket_ref,
            "processor": partner.key,
            "people": len(people),
            "fields": [f.value for f in chosen],
            "pseudonymised": pseudonymised,
        },
    )
    return made


def find(uow: UnitOfWork, reference: str) -> SupportShare:
    """One share by its reference."""
    found = uow.session.scalar(
        select(SupportShare).where(SupportShare.reference == reference.strip().upper())
    )
    if found is None:
        raise NotFound(f"no support share {reference.strip()[:20]!r}")
    return found


def partner_of(uow: UnitOfWork, share: SupportShare) -> Processor:
    """The processor the share went to."""
    found = uow.session.get(Processor, share.processor_id)
    if found is None:  # pragma: no cover - a foreign key
        raise NotFound("the share's processor is gone")
    return found


def listing(uow: UnitOfWork, limit: int = 200) -> list[SupportShare]:
    """Support shares, newest first."""
    query = select(SupportShare).order_by(SupportShare.opened_at.desc()).limit(limit)
    return list(uow.session.scalars(query))


def overdue(uow: UnitOfWork) -> list[SupportShare]:
    """Shares past their deletion due date without the partner's confirmation, oldest first."""
    today = uow.clock.now().date()
    query = (
        select(SupportShare)
        .where(SupportShare.confirmed_at.is_(None), SupportShare.due_on < today)
        .order_by(SupportShare.due_on, SupportShare.reference)
    )
    return list(uow.session.scalars(query))


def subject_for(uow: UnitOfWork, processor: Processor) -> uuid.UUID:
    """The data subject the processor contact's mail is filed under (made on first use)."""
    from klaremont.db.subjects import Subject  # noqa: PLC0415 - only the mail path needs it

    if processor.contact_subject_id is None:
        processor.contact_subject_id = uuid.uuid4()
    if uow.session.get(Subject, processor.contact_subject_id) is None:
        uow.session.add(Subject(id=processor.contact_subject_id, created_at=uow.clock.now()))
        uow.session.flush()
    return processor.contact_subject_id
