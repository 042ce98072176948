"""Demo register (DEMO ONLY): the shop database host in GB, an e-mail service in Ireland
(adequate), a US support desk certified to the UK Extension to the EU-US DPF, an Indian IT
support partner under an IDTA with its transfer risk assessment, and a card payment
processor whose PCI DSS attestation expires soon; and the record of processing's systems,
covering every data category of the retention schedule. Organisations are fictitious."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.processors import service, support
from klaremont.staff.models import StaffAccount
from klaremont.transfers import Mechanism

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 66  # after the staff (10)
OWN = [
    "identity", "contact", "address", "orders", "invoices", "payment_cards",
    "marketing_preferences", "account_password", "support_contacts", "consent_records",
    "data_subject_requests", "audit_log", "incident_records", "staff_accounts",
    "wifi_credentials",
]  # fmt: skip


def _as(uow: UnitOfWork, username: str) -> None:
    account_id = uow.session.scalar(
        select(StaffAccount.id).where(StaffAccount.username == username)
    )
    uow.actor = Actor(ActorType.STAFF, str(account_id or username), username)


def _processors(today: date) -> list[service.NewProcessor]:
    year = timedelta(days=365)
    return [
        service.NewProcessor(
            key="northgate-hosting", name="Northgate Hosting Ltd", role="hosts the shop database",
            country="GB", categories=["identity", "contact", "address", "orders", "invoices"],
            purposes=["order_processing", "invoicing"],
            security="ISO 27001; encrypted at rest (AES-256); UK data centres only",
            dates={"contract_signed_on": today - 2 * year, "contract_expires_on": today + year,
                   "dpa_signed_on": today - 2 * year},
        ),
        service.NewProcessor(
            key="emerald-mail", name="Emerald Mail Services Ltd", host="mail.emerald.example",
            role="sends order and account e-mails", country="IE",
            categories=["identity", "contact", "marketing_preferences"],
            purposes=["order_processing", "marketing"],
            security="TLS in transit; SOC 2 Type II; messages deleted after 30 days",
            dates={"contract_signed_on": today - year, "dpa_signed_on": today - year,
                   "contract_expires_on": today + timedelta(days=45)},
        ),
        service.NewProcessor(
            key="helpharbor", name="HelpHarbor Inc.", host="klaremont.helpharbor.example",
            role="support desk (tickets from customers)", country="US",
            mechanism=Mechanism.PARTIAL_ADEQUACY,
            categories=["identity", "contact", "orders", "support_contacts"],
            purposes=["support"],
            security="certified to the EU-US DPF and its UK Extension; SSO with two factors",
            dates={"contract_signed_on": today - year, "dpa_signed_on": today - year},
        ),
        service.NewProcessor(
            key="sahyadri-it", name="Sahyadri IT Services Pvt Ltd",
            role="IT support partner: resolves technical issues, deletes data once resolved",
            country="IN", mechanism=Mechanism.IDTA,
            categories=["identity", "contact", "orders", "staff_accounts"],
            purposes=["support", "security"],
            security="access only through the remote-access gateway; no local copies",
            dates={"contract_signed_on": today - year, "contract_expires_on": today + year,
                   "dpa_signed_on": today - year, "safeguard_signed_on": today - year,
                   "tra_on": today - year + timedelta(days=3)},
        ),
        service.NewProcessor(
            key="thistle-payments", name="Thistle Payments Ltd", host="api.thistlepay.example",
            role="card payment processor (takes card payments; returns a token)", country="GB",
            card_data=True, categories=["payment_cards", "orders"], purposes=["order_processing"],
            security="PCI DSS Level 1 service provider; card data never reaches Klaremont",
            dates={"contract_signed_on": today - 3 * year, "dpa_signed_on": today - 3 * year,
                   "aoc_on": today - year + timedelta(days=21),
                   "aoc_expires_on": today + timedelta(days=21)},
        ),
    ]  # fmt: skip


def _systems() -> list[service.NewSystem]:
    return [
        service.NewSystem(
            key="klaremont-store", name="Klaremont customer data store", categories=OWN,
            purposes=["order_processing", "invoicing", "marketing", "support", "legal_obligation",
                      "security"],
            recipients="staff by role and purpose; HMRC where the law requires",
            location="Klaremont's own servers, London", country="GB",
            security="field encryption with per-person keys; hash-chained audit log; 2FA",
            source="the customer (web, telephone, store); staff records from HR",
        ),
        service.NewSystem(
            key="shop-database", name="Shop database", processor="northgate-hosting",
            categories=["identity", "contact", "address", "orders", "invoices"],
            purposes=["order_processing", "invoicing"], recipients="Northgate Hosting Ltd",
            location="Northgate data centre, Manchester", country="GB",
            security="encrypted at rest; network isolated; backups encrypted",
            source="the customer, through the shop",
        ),
        service.NewSystem(
            key="email-service", name="E-mail service", processor="emerald-mail",
            categories=["identity", "contact", "marketing_preferences"],
            purposes=["order_processing", "marketing"], recipients="Emerald Mail Services Ltd",
            location="Emerald Mail, Dublin", country="IE",
            security="TLS; messages deleted after 30 days", source="the customer",
        ),
        service.NewSystem(
            key="support-desk", name="Support desk", processor="helpharbor",
            categories=["identity", "contact", "orders", "support_contacts"],
            purposes=["support"], recipients="HelpHarbor Inc.",
            location="HelpHarbor cloud, Virginia", country="US",
            security="SSO with two factors; tickets closed are deleted after the period",
            source="the customer, by e-mail and web form",
        ),
        service.NewSystem(
            key="it-support", name="IT support partner", processor="sahyadri-it",
            categories=["identity", "contact", "orders", "staff_accounts"],
            purposes=["support", "security"], recipients="Sahyadri IT Services Pvt Ltd",
            location="remote access from Pune", country="IN",
            security="remote-access gateway; session recording; delete once resolved",
            source="Klaremont's systems, per ticket",
        ),
        service.NewSystem(
            key="card-payments", name="Card payments", processor="thistle-payments",
            categories=["payment_cards", "orders"], purposes=["order_processing"],
            recipients="Thistle Payments Ltd", location="Thistle Payments, Edinburgh",
            country="GB", security="PCI DSS Level 1; tokenisation", source="the customer",
        ),
    ]  # fmt: skip


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Add the demo processors and the record of processing."""
    del rng, size
    _as(uow, "dana")
    today = uow.clock.now().date()
    made = _processors(today)
    for new in made:
        service.add(uow, new)
    systems = _systems()
    for system in systems:
        service.add_system(uow, system)
    support.set_contact(uow, "sahyadri-it", "privacy@sahyadri-it.example")
    return [f"{len(made)} processors and {len(systems)} systems of the record of processing"]
