"""Helpers for customer-store and card tests: staff with roles, signed-in clients, customers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from klaremont.audit.events import ActionTag, Actor, ActorType
from klaremont.audit.models import AuditEvent
from klaremont.consent import service as consent
from klaremont.consent.models import ConsentMethod, ConsentSource
from klaremont.customers import service
from klaremont.customers.models import (
    AddressKind,
    CollectionChannel,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
)
from klaremont.customers.schemas import AddressIn, CustomerCreate
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.policy.purposes import LawfulBasis, MarketingChannel
from klaremont.staff import service_accounts
from klaremont.staff.permissions import Role
from klaremont.web.app import create_app
from klaremont.web.card_guard import install

PASSWORD = "violet-harbour-quietly-9-ferns"
TEST_ACTOR = Actor(ActorType.SYSTEM, "klaremont")
OFFICE = ("127.0.0.1", 50000)


@dataclass(frozen=True)
class Staff:
    """A test staff member and their password."""

    id: uuid.UUID
    username: str
    password: str

    @property
    def actor(self) -> Actor:
        """Their audit actor."""
        return Actor(ActorType.STAFF, str(self.id), self.username)


def make_staff(platform: Platform, username: str, role: Role) -> Staff:
    """A vetted staff account with a known password and one job role."""
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "test")) as uow:
        created = service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username=username,
                full_name=f"{username.title()} Tester",
                work_email=f"{username}@klaremont.example",
                job_role=role,
                line_manager_id=None,
                password=PASSWORD,
                vetted_on=date(2025, 1, 6),
            ),
            created_by="test",
        )
        return Staff(created.account.id, created.account.username, PASSWORD)


def guarded_client(platform: Platform) -> TestClient:
    """An HTTPS client of the app with the card-data guard middleware installed.

    The guard is installed here only when the app factory does not install it yet.
    """
    app = create_app(platform)
    install(app)
    return TestClient(app, base_url="https://testserver", client=OFFICE)


def sign_in(client: TestClient, staff: Staff) -> dict[str, str]:
    """Log in and return the anti-forgery header for unsafe requests."""
    response = client.post(
        "/api/auth/login", json={"username": staff.username, "password": staff.password}
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def new_customer(
    platform: Platform,
    *,
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
    password: str | None = None,
) -> uuid.UUID:
    """Create a customer account with two addresses; return its id."""
    body = CustomerCreate(
        name=name,
        email=email,
        date_of_birth=date(1990, 12, 10),
        gender="female",
        phone="0113 496 0000",
        mobile="07700 900123",
        channel=CollectionChannel.ACCOUNT_CREATION,
        addresses=[
            AddressIn(
                kind=AddressKind.POSTAL, line1="12 High Street", town="Leeds", postcode="LS1 4AB"
            ),
            AddressIn(
                kind=AddressKind.DELIVERY, line1="1 Mill Lane", town="York", postcode="YO1 7HH"
            ),
        ],
        password=password,
    )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return service.create_customer(uow, body).id


def subject_of(platform: Platform, customer_id: uuid.UUID) -> uuid.UUID:
    """The data subject behind an account."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return service.find_customer(uow, customer_id).subject_id


def set_state(platform: Platform, subject_id: uuid.UUID, **state: object) -> None:
    """Set processing state on a person (``restricted_at``, ``marketing_objection_at`` ...)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        subject = uow.session.get(Subject, subject_id)
        assert subject is not None
        for name, value in state.items():
            setattr(subject, name, value)


def consent_to_marketing(platform: Platform, subject_id: uuid.UUID) -> None:
    """Record the person's yes to e-mail marketing through the consent module."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.set_marketing(
            uow,
            subject_id,
            MarketingChannel.EMAIL,
            granted=True,
            proof=consent.Proof(ConsentMethod.WEB_FORM, ConsentSource.PRIVACY_CENTRE),
        )


def audit_events(platform: Platform, action: ActionTag) -> list[AuditEvent]:
    """Every stored audit event with this action tag, oldest first (read without auditing)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        query = select(AuditEvent).where(AuditEvent.action == action.value)
        return list(uow.session.scalars(query.order_by(AuditEvent.seq)))


def add_order(platform: Platform, customer_id: uuid.UUID, number: str = "KL00000100") -> str:
    """An order with two lines and its invoice for the customer; returns the invoice number."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        customer = service.find_customer(uow, customer_id)
        now = uow.clock.now()
        provenance = {"channel": CollectionChannel.WEBSITE_PURCHASE, "collected_at": now}
        order = Order(
            subject_id=customer.subject_id,
            customer_id=customer.id,
            number=number,
            placed_at=now,
            status=OrderStatus.PAID,
            total_pence=2400,
            lawful_basis=LawfulBasis.CONTRACT,
            **provenance,
        )
        order.lines.append(
            OrderLine(
                position=1, sku="KL-MUG-02", description="Mug", quantity=2, unit_price_pence=900
            )
        )
        order.lines.append(
            OrderLine(
                position=2, sku="KL-JAM-08", description="Jam", quantity=1, unit_price_pence=600
            )
        )
        uow.session.add(order)
        invoice = Invoice(
            subject_id=customer.subject_id,
            order=order,
            number=number.replace("KL", "INV"),
            issued_at=now,
            net_pence=2000,
            vat_pence=400,
            lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
            **provenance,
        )
        invoice.billing_name = customer.name
        invoice.billing_address = "12 High Street, Leeds, LS1 4AB"
        uow.session.add(invoice)
        return invoice.number
