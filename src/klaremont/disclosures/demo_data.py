"""Demo disclosures (DEMO ONLY): a police request for two customers' contact details and
orders (DPA 2018 Sch 2 para 2, crime prevention), requested by the DPO, approved by the
director and exported; and a court order for one customer's orders and invoices, waiting
for a director. Organisations and references are fictitious."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.disclosures import export, service
from klaremont.staff.models import StaffAccount

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 67  # after the customers (20), the staff (10) and the processors (66)
DEMO_CUSTOMERS_NEEDED = 5  # the disclosures name C0000003 to C0000005


def _as(uow: UnitOfWork, username: str) -> None:
    account_id = uow.session.scalar(
        select(StaffAccount.id).where(StaffAccount.username == username)
    )
    uow.actor = Actor(ActorType.STAFF, str(account_id or username), username)


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Add the two demo disclosures (when the demo has the customers they name)."""
    del rng
    if size.customers < DEMO_CUSTOMERS_NEEDED:
        return []
    _as(uow, "dana")
    police = service.request(
        uow,
        service.NewDisclosure(
            recipient_name="West Yorkshire Police (demo)",
            recipient_kind="police",
            recipient_country="GB",
            recipient_contact="disclosures@police.example",
            customers=["C0000003", "C0000004"],
            categories=["contact", "orders"],
            basis_kind="statutory_obligation",
            basis_reference="DPA 2018 Sch 2 para 2 (crime prevention); request form DP-1042",
            reason="Suspected card fraud on two orders; the force asks who placed them.",
        ),
    )
    court = service.request(
        uow,
        service.NewDisclosure(
            recipient_name="Leeds County Court (demo)",
            recipient_kind="court",
            recipient_country="GB",
            customers=["C0000005"],
            categories=["orders", "invoices"],
            basis_kind="court_order",
            basis_reference="Order K00LS123 of 2 December 2026",
            reason="A disputed debt claim; the court orders the order and invoice history.",
        ),
    )
    _as(uow, "derek")
    service.approve(uow, police.reference, "Form and statute checked; two customers only.")
    _as(uow, "dana")
    export.build(uow, police.reference)
    said = (
        f"disclosures: {police.reference} to the police approved and exported; "
        f"{court.reference} (court order) waiting for a director"
    )
    return [said]
