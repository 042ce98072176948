"""Sending personal data to a processor (an export, a support ticket's data), and the
register's answer to the transfer guard (IS-SENS-PCI3P, DP-TRANSFER).

A share is refused, with nothing recorded but the refusal's audit event, when:

* card data goes to a processor not recorded as handling card data, or whose PCI DSS
  attestation of compliance is missing or expired (IS-SENS-PCI3P);
* the data processing agreement is missing or expired (UK GDPR Art. 28(3));
* the transfer guard refuses the processor's country (DP-TRANSFER).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from klaremont.audit.events import Outcome
from klaremont.detectors.free_text import plain
from klaremont.errors import FieldProblem, ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.processors import service
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.models import TEXT_MAX, Processor, ProcessorShare
from klaremont.transfers import Mechanism, Safeguard, guard

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

MAX_KEEP_DAYS = 90  # a processor given data to resolve an issue deletes it within this


class ShareRefused(ValidationFailed):
    """A share the register refused (card data without a valid attestation, no DPA)."""

    code = "share-refused"
    title = "Share refused"


def aoc_problem(processor: Processor, today: date) -> str | None:
    """Why this processor may not receive card data today, or ``None``."""
    if not processor.card_data:
        return f"{processor.name} is not recorded as a card-data processor"
    if processor.aoc_on is None or processor.aoc_expires_on is None:
        return f"{processor.name} has no PCI DSS attestation of compliance recorded"
    if processor.aoc_expires_on < today:
        return (
            f"{processor.name}'s PCI DSS attestation of compliance expired on "
            f"{processor.aoc_expires_on.isoformat()}"
        )
    return None


def dpa_problem(processor: Processor, today: date) -> str | None:
    """Why this processor may not receive personal data under Art. 28 today, or ``None``."""
    if processor.dpa_signed_on is None:
        return f"{processor.name} has no data processing agreement recorded"
    if processor.dpa_expires_on is not None and processor.dpa_expires_on < today:
        return (
            f"{processor.name}'s data processing agreement expired on "
            f"{processor.dpa_expires_on.isoformat()}"
        )
    return None


def _refuse(uow: UnitOfWork, processor: Processor, field: str, rule: str, clause: str) -> None:
    key = processor.key
    uow.keep_only_refusal(
        lambda: uow.audit(
            ProcessorAction.SHARE_REFUSED,
            Outcome.DENIED,
            resource=f"processor:{key}",
            details={"field": field, "clause": clause},
        )
    )
    raise ShareRefused(f"{field}: {rule}", problems=[FieldProblem(field, rule)])


@dataclass(frozen=True, slots=True)
class Share:
    """What is sent: which categories, card data or not, why, and when it must be deleted."""

    processor: str
    categories: list[str]
    reason: str
    card_data: bool = False
    keep_days: int | None = None


def share(uow: UnitOfWork, asked: Share) -> ProcessorShare:
    """Record a share of personal data with a processor, after every check (audited)."""
    processor = service.find(uow, asked.processor)
    categories = service.categories_of(asked.categories)
    reason = plain("reason", asked.reason, max_length=TEXT_MAX)
    if asked.keep_days is not None and not 1 <= asked.keep_days <= MAX_KEEP_DAYS:
        raise ValidationFailed.single("keep_days", f"between 1 and {MAX_KEEP_DAYS} days")
    card = asked.card_data or DataCategory.PAYMENT_CARDS in categories
    today = uow.clock.now().date()
    if card:
        problem = aoc_problem(processor, today)
        if problem is not None:
            _refuse(uow, processor, "card_data", f"{problem} (IS-SENS-PCI3P)", "IS-SENS-PCI3P")
    problem = dpa_problem(processor, today)
    if problem is not None:
        _refuse(uow, processor, "processor", f"{problem} (UK GDPR Art. 28)", "PP-NOSHARE")
    verdict = guard(
        uow,
        country=processor.country,
        recipient=processor.key,
        path="processor_share",
        field="processor",
        resource=f"processor:{processor.key}",
    )
    made = ProcessorShare(
        processor_id=processor.id,
        categories=",".join(c.value for c in categories),
        card_data=card,
        reason=reason,
        basis=verdict.basis[:TEXT_MAX],
        shared_at=uow.clock.now(),
        shared_by=service.who(uow),
        delete_by=today + timedelta(days=asked.keep_days) if asked.keep_days else None,
    )
    uow.session.add(made)
    uow.session.flush()
    uow.audit(
        ProcessorAction.SHARED,
        resource=f"processor:{processor.key}",
        details={
            "categories": [c.value for c in categories],
            "card_data": card,
            "country": processor.country,
            "basis": verdict.basis[:200],
        },
    )
    return made


def shares(uow: UnitOfWork, processor: Processor) -> list[ProcessorShare]:
    """A processor's shares, newest first."""
    query = (
        select(ProcessorShare)
        .where(ProcessorShare.processor_id == processor.id)
        .order_by(ProcessorShare.shared_at.desc())
        .limit(200)
    )
    return list(uow.session.scalars(query))


def safeguard_of(processor: Processor) -> Safeguard | None:
    """The safeguard the register records for this processor, if it is one."""
    if processor.mechanism is Mechanism.UK_ADEQUACY:
        return None
    if processor.mechanism is Mechanism.PARTIAL_ADEQUACY:
        return Safeguard(processor.key, processor.country, processor.mechanism)
    if processor.safeguard_signed_on is None:
        return None
    return Safeguard(
        processor.key,
        processor.country,
        processor.mechanism,
        signed_on=processor.safeguard_signed_on,
        tra_on=processor.tra_on,
    )


def safeguards(uow: UnitOfWork, country: str, recipient: str | None) -> list[Safeguard]:
    """Extension point ``transfer_safeguards``: the safeguards recorded for ``recipient``
    (a processor's key, or the host data is sent to) in ``country``."""
    if not recipient:
        return []
    name = recipient.strip().lower()
    query = select(Processor).where(
        Processor.country == country, or_(Processor.key == name, Processor.host == name)
    )
    found = [safeguard_of(p) for p in uow.session.scalars(query)]
    return [s for s in found if s is not None]
