"""Privacy-centre test helpers: customers with known passwords, signing in, reading forms."""

from __future__ import annotations

import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from itertools import count

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from klaremont.audit.events import Actor, ActorType
from klaremont.customers.models import Address, AddressKind, CollectionChannel, Customer
from klaremont.db.subjects import Subject
from klaremont.mail.config import MailSettings
from klaremont.mail.runner import send_pending
from klaremont.mail.smtp import SmtpTransport
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


@dataclass
class Inbox:
    """What a real SMTP server (aiosmtpd) received."""

    messages: list[EmailMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        """Keep one message."""
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.messages.append(parsed)
        return "250 2.0.0 Message accepted"

    def bodies_to(self, address: str) -> list[str]:
        """Plain-text bodies of the messages to ``address``, in arrival order."""
        found = []
        for message in self.messages:
            if message["To"] == address:
                part = message.get_body(preferencelist=("plain",))
                assert part is not None
                found.append(str(part.get_content()))
        return found


@contextmanager
def mail_server() -> Iterator[tuple[Inbox, MailSettings]]:
    """A real SMTP server on 127.0.0.1 at a free port, and settings pointing at it."""
    inbox = Inbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, MailSettings(host="127.0.0.1", port=port, timeout_seconds=5)
    finally:
        controller.stop()


def deliver_mail(platform: Platform, settings: MailSettings) -> None:
    """Run the outbox job once against the test SMTP server."""
    send_pending(platform, SmtpTransport(settings), settings)
