"""Privacy-centre test helpers: customers with known passwords, signing in, reading forms."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from itertools import count

from fastapi.testclient import TestClient

from klaremont.audit.events import Actor, ActorType
from klaremont.customers.models import Address, AddressKind, CollectionChannel, Customer
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.policy.purposes import LawfulBasis
from klaremont.staff.hashing import hashing_for

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")
PASSWORD = "plum-orchard-whistle-58"
_refs = count(1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Person:
    """A test customer."""

    subject_id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    password: str
    name: str
    street: str
    phone: str


def make_customer(
    platform: Platform,
    email: str = "ada.lovelace@example.com",
    *,
    name: str = "Ada Lovelace",
    street: str = "12 Station Road",
    phone: str = "07700 900123",
    password: str = PASSWORD,
) -> Person:
    """A customer account with a postal address and an Argon2id password."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        now = uow.clock.now()
        subject = Subject(created_at=now)
        uow.session.add(subject)
        uow.session.flush()
        provenance = {
            "channel": CollectionChannel.ACCOUNT_CREATION,
            "collected_at": now,
            "lawful_basis": LawfulBasis.CONTRACT,
        }
        customer = Customer(
            subject_id=subject.id,
            reference=f"C{next(_refs):07d}",
            password_hash=hashing_for(platform).hash(password),
            created_at=now,
            updated_at=now,
            **provenance,
        )
        customer.name = name
        customer.email = email
        customer.mobile = phone
        uow.session.add(customer)
        uow.session.flush()
        address = Address(
            subject_id=subject.id,
            customer_id=customer.id,
            kind=AddressKind.POSTAL,
            country="GB",
            **provenance,
        )
        address.line1 = street
        address.town = "Leeds"
        address.postcode = "LS1 4AP"
        uow.session.add(address)
        return Person(subject.id, customer.id, email, password, name, street, phone)


def csrf_of(html: str) -> str:
    """The anti-forgery token in a rendered form."""
    found = _CSRF.search(html)
    assert found is not None, "no csrf_token field on the page"
    return found.group(1)


def sign_in(client: TestClient, person: Person) -> str:
    """Sign in through the form; returns the session's anti-forgery token."""
    token = csrf_of(client.get("/privacy/sign-in").text)
    response = client.post(
        "/privacy/sign-in",
        data={"email": person.email, "password": person.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/privacy/").text)
