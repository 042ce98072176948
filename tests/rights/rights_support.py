"""Rights test helpers: seeded people with canary values; codes and links read from the outbox."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.customers.models import (
    Address,
    AddressKind,
    CollectionChannel,
    ContactRecord,
    Customer,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    PaymentCard,
)
from klaremont.db.subjects import Subject
from klaremont.mail.models import OutboxMessage
from klaremont.platform import Platform
from klaremont.policy.purposes import LawfulBasis
from klaremont.rights.models import RightsRequest
from klaremont.rights.ports import CustomerIdentity
from klaremont.testing.staff import STAFF_PASSWORD, make_staff, staff_client  # noqa: F401 - re-exported for the tests

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")
_counter = iter(range(1, 1_000_000))


@dataclass
class Person:
    """A seeded person and every personal value stored for them (the canaries)."""

    subject_id: uuid.UUID
    customer_id: uuid.UUID
    reference: str
    email: str
    canaries: dict[str, str] = field(default_factory=dict)
    invoice_values: dict[str, str] = field(default_factory=dict)
    address_ids: list[uuid.UUID] = field(default_factory=list)
    order_ids: list[uuid.UUID] = field(default_factory=list)
    invoice_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def identity(self) -> CustomerIdentity:
        """The person as the privacy centre knows them once signed in."""
        return CustomerIdentity(self.subject_id, self.customer_id)


def seed_person(
    platform: Platform,
    tag: str,
    *,
    orders: int = 2,
    invoices: bool = True,
    invoice_age: timedelta = timedelta(days=30),
    email: str | None = None,
) -> Person:
    """A customer with addresses, orders and lines, invoices, a card and a complaint."""
    n = next(_counter)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        now = uow.clock.now()
        common = {
            "channel": CollectionChannel.ACCOUNT_CREATION,
            "collected_at": now - timedelta(days=400),
            "lawful_basis": LawfulBasis.CONTRACT,
        }
        subject = Subject(created_at=now - timedelta(days=400), last_activity_at=now)
        uow.session.add(subject)
        address_mail = email or f"{tag.lower()}.{n}@example.com"
        customer = Customer(
            subject_id=subject.id,
            reference=f"T{n:07d}",
            created_at=now - timedelta(days=400),
            updated_at=now,
            password_hash="$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$notarealhash",
            **common,
        )
        canaries = {
            "name": f"Canary{tag} Person{n}",
            "date_of_birth": "1980-04-0" + str(n % 9 + 1),
            "gender": f"gender-{tag}-{n}",
            "email": address_mail,
            "phone": f"0113 496 {n % 10000:04d}",
            "mobile": f"07700 900{n % 1000:03d}",
        }
        for key, value in canaries.items():
            setattr(customer, key, value)
        uow.session.add(customer)
        person = Person(subject.id, customer.id, customer.reference, address_mail)
        person.canaries.update({f"customers.{k}": v for k, v in canaries.items()})
        for kind in (AddressKind.POSTAL, AddressKind.DELIVERY):
            address = Address(
                subject_id=subject.id, customer_id=customer.id, kind=kind, country="GB", **common
            )
            address.line1 = f"{n} Canary{tag} {kind.value} Street"
            address.town = f"Town{tag}{n}"
            address.postcode = f"LS{n % 9 + 1} {tag[:1].upper() or 'A'}AA"
            uow.session.add(address)
            person.address_ids.append(address.id)
            person.canaries[f"addresses.line1.{kind.value}"] = address.line1
        card = PaymentCard(
            subject_id=subject.id,
            customer_id=customer.id,
            provider="localpay",
            brand="visa",
            exp_month=4,
            exp_year=2029,
            last4="4242",
            created_at=now,
            **common,
        )
        card.token = f"tok_canary_{tag}_{n}"
        uow.session.add(card)
        contact = ContactRecord(
            subject_id=subject.id,
            customer_id=customer.id,
            kind="complaint",
            received_at=now - timedelta(days=3),
            **common,
        )
        contact.summary = f"Complaint canary {tag} {n}: parcel late"
        uow.session.add(contact)
        person.canaries["contact_records.summary"] = contact.summary
        uow.session.flush()
        for number in range(orders):
            placed = now - invoice_age
            order = Order(
                subject_id=subject.id,
                customer_id=customer.id,
                number=f"KT{n:06d}{number:02d}",
                placed_at=placed,
                status=OrderStatus.DELIVERED,
                total_pence=2400,
                currency="GBP",
                delivery_address_id=person.address_ids[1],
                channel=CollectionChannel.WEBSITE_PURCHASE,
                collected_at=placed,
                lawful_basis=LawfulBasis.CONTRACT,
            )
            order.lines.append(
                OrderLine(
                    position=1, sku="KL-TEA-01", description="Tea", quantity=2, unit_price_pence=650
                )
            )
            order.lines.append(
                OrderLine(
                    position=2,
                    sku="KL-MUG-02",
                    description="Mug",
                    quantity=1,
                    unit_price_pence=1100,
                )
            )
            uow.session.add(order)
            person.order_ids.append(order.id)
            if invoices:
                invoice = Invoice(
                    subject_id=subject.id,
                    order=order,
                    number=f"IT{n:06d}{number:02d}",
                    issued_at=placed,
                    net_pence=2000,
                    vat_pence=400,
                    channel=CollectionChannel.WEBSITE_PURCHASE,
                    collected_at=placed,
                    lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
                )
                invoice.billing_name = f"Invoice holder {tag} {n}"
                invoice.billing_address = f"{n} Invoice Road {tag}"
                uow.session.add(invoice)
                person.invoice_ids.append(invoice.id)
                person.invoice_values["invoices.billing_name"] = invoice.billing_name
        uow.session.flush()
    return person


def outbox_bodies(platform: Platform, subject_id: uuid.UUID, template: str) -> list[str]:
    """Bodies of the person's queued mails of one template, oldest first."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.subject_id == subject_id, OutboxMessage.template == template)
            .order_by(OutboxMessage.created_at)
        ).all()
        return [row.body or "" for row in rows]


def latest_code(platform: Platform, subject_id: uuid.UUID) -> str:
    """The last verification code mailed to the person."""
    bodies = outbox_bodies(platform, subject_id, "verification_code")
    assert bodies, "no verification code was mailed"
    found = re.search(r"\b(\d{8})\b", bodies[-1])
    assert found, "the verification mail carries no code"
    return found.group(1)


def latest_link(platform: Platform, subject_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """(request id, token) of the last download link mailed to the person.

    The link names the request by the reference the person reads, never by an id.
    """
    bodies = outbox_bodies(platform, subject_id, "download_ready")
    assert bodies, "no download link was mailed"
    found = re.search(
        r"/privacy/requests/(DSR-[A-Z0-9]{8})/download\?token=([A-Za-z0-9_-]+)", bodies[-1]
    )
    assert found, "the mail carries no download link by reference"
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request_id = uow.session.scalars(
            select(RightsRequest.id).where(RightsRequest.reference == found.group(1))
        ).one()
    return request_id, found.group(2)


def at(platform: Platform) -> datetime:
    """The platform clock's time."""
    return platform.clock.now()


class Receiver:
    """A real HTTPS server on 127.0.0.1 with a throwaway certificate, recording what it is sent."""

    def __init__(self, status: int = 201, redirect_to: str | None = None) -> None:
        import datetime as dt  # noqa: PLC0415 - only the receiver needs these
        import ipaddress  # noqa: PLC0415
        import ssl  # noqa: PLC0415
        import tempfile  # noqa: PLC0415
        import threading  # noqa: PLC0415
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: PLC0415
        from pathlib import Path  # noqa: PLC0415

        from cryptography import x509  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.x509.oid import NameOID  # noqa: PLC0415

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        self._dir = tempfile.TemporaryDirectory()
        cert_file = Path(self._dir.name) / "cert.pem"
        key_file = Path(self._dir.name) / "key.pem"
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                outer.received.append((self.path, dict(self.headers), self.rfile.read(length)))
                if redirect_to:
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert_file, key_file)
        self.server.socket = server_context.wrap_socket(self.server.socket, server_side=True)
        self.client_context = ssl.create_default_context(cadata=cert_pem.decode())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """Where to send."""
        return f"https://127.0.0.1:{self.server.server_address[1]}/import"

    def close(self) -> None:
        """Stop the server and forget the certificate."""
        self.server.shutdown()
        self.server.server_close()
        self._dir.cleanup()
