"""Deterministic demo shop: customers with addresses, orders, invoices and contacts.

Names and streets come from short built-in lists; e-mail addresses use the reserved
``example.com`` domain and phone numbers the Ofcom drama ranges, so no real person is named.
Saved cards are added by the cards capability's own demo data (after the customers).
The first customers (``customer1@example.com`` ...) have the password
:data:`DEMO_CUSTOMER_PASSWORD`, so the privacy centre can be tried (:data:`LOGINS`).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

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
)
from klaremont.db.subjects import Subject
from klaremont.demo.service import DemoLogin
from klaremont.policy.purposes import LawfulBasis
from klaremont.staff.hashing import hashing_for

if TYPE_CHECKING:
    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 20
#: The demo customers' shared password (development only; printed at start-up).
DEMO_CUSTOMER_PASSWORD = "harbour-lantern-demo-2026"  # noqa: S105 - a documented demo password
LOGINS = [
    DemoLogin(
        surface="privacy centre",
        username=f"customer{n}@example.com",
        password=DEMO_CUSTOMER_PASSWORD,
        note=f"demo customer C{n:07d}",
    )
    for n in (1, 2, 3)
]
FIRST = (
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Willow",
    "Freya",
    "Florence",
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Muhammad",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theodore",
    "Freddie",
    "Jack",
    "Charlie",
    "Thomas",
    "Priya",
    "Aisha",
    "Zara",
    "Kwame",
    "Tomasz",
    "Siobhan",
    "Eilidh",
    "Rhys",
    "Cerys",
    "Niamh",
)
LAST = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Robinson",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Hughes",
    "Edwards",
    "Khan",
    "Lewis",
    "Harris",
    "Martin",
    "Morris",
    "Cooper",
    "Ward",
    "Okafor",
    "Nowak",
    "Murphy",
    "MacLeod",
    "Pritchard",
)
STREETS = (
    "High Street",
    "Station Road",
    "Church Lane",
    "Victoria Road",
    "Green Lane",
    "Manor Road",
    "Park Avenue",
    "Mill Lane",
    "Kings Road",
    "Queens Road",
    "The Crescent",
    "Orchard Close",
    "Riverside Walk",
)
TOWNS = (
    ("Leeds", "LS1"),
    ("Bristol", "BS1"),
    ("Manchester", "M1"),
    ("York", "YO1"),
    ("Cardiff", "CF10"),
    ("Glasgow", "G1"),
    ("Norwich", "NR1"),
    ("Bath", "BA1"),
    ("Exeter", "EX1"),
    ("Belfast", "BT1"),
    ("Oxford", "OX1"),
    ("Leicester", "LE1"),
)
PRODUCTS = (
    ("KL-TEA-01", "Loose-leaf breakfast tea 250g", 650),
    ("KL-MUG-02", "Stoneware mug, sage", 1200),
    ("KL-BLK-03", "Merino throw blanket", 8900),
    ("KL-CND-04", "Soy candle, fig", 1800),
    ("KL-LMP-05", "Brass reading lamp", 7400),
    ("KL-TWL-06", "Cotton bath towel", 2200),
    ("KL-PLT-07", "Hand-thrown dinner plate", 1600),
    ("KL-JAM-08", "Seville orange marmalade", 550),
)
CHANNELS = tuple(CollectionChannel)
VAT_RATE = 0.2


POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _postcode(rng: random.Random, district: str) -> str:
    letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
    return f"{district} {rng.randint(1, 9)}{letters}"


def _login_email(index: int) -> str | None:
    """The sign-in address of the demo customers with a password (the first few)."""
    return LOGINS[index - 1].username if index <= len(LOGINS) else None


def _person(rng: random.Random, index: int) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first}.{last}.{index}@example.com".lower()
    return first, last, email


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:  # noqa: PLR0915 - one readable recipe for a whole demo customer
    """Add ``size.customers`` customers with their history; return summary lines."""
    now = uow.clock.now()
    counts = {"orders": 0, "lines": 0, "invoices": 0, "contacts": 0}
    hashing = hashing_for(uow.platform)
    for index in range(1, size.customers + 1):
        first, last, email = _person(rng, index)
        joined = now - timedelta(days=rng.randint(30, 2000))
        channel = rng.choice(CHANNELS)
        subject = Subject(created_at=joined, last_activity_at=joined)
        uow.session.add(subject)
        common = {"channel": channel, "collected_at": joined}
        customer = Customer(
            subject=subject,
            subject_id=subject.id,
            reference=f"C{index:07d}",
            created_at=joined,
            updated_at=joined,
            lawful_basis=LawfulBasis.CONTRACT,
            **common,
        )
        customer.name = f"{first} {last}"
        customer.date_of_birth = (
            f"{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        )
        customer.gender = rng.choice(("female", "male", "non-binary", "prefer not to say"))
        customer.email = _login_email(index) or email
        if _login_email(index):
            customer.password_hash = hashing.hash(DEMO_CUSTOMER_PASSWORD)
        customer.phone = f"0113 496 {rng.randint(0, 999):04d}"
        customer.mobile = f"07700 900{rng.randint(0, 999):03d}"
        uow.session.add(customer)
        town, district = rng.choice(TOWNS)
        addresses = []
        for kind in (AddressKind.POSTAL, AddressKind.DELIVERY):
            address = Address(
                subject_id=subject.id,
                customer=customer,
                kind=kind,
                country="GB",
                lawful_basis=LawfulBasis.CONTRACT,
                **common,
            )
            address.line1 = f"{rng.randint(1, 220)} {rng.choice(STREETS)}"
            address.town = town
            address.postcode = _postcode(rng, district)
            uow.session.add(address)
            addresses.append(address)
        latest = joined  # the person's last activity: joining, an order, a contact
        for number in range(rng.randint(0, 5)):
            placed = joined + timedelta(days=rng.randint(0, max(1, (now - joined).days)))
            order = Order(
                subject_id=subject.id,
                customer=customer,
                number=f"KL{index:06d}{number:02d}",
                placed_at=placed,
                status=rng.choice(list(OrderStatus)),
                total_pence=0,
                delivery_address_id=addresses[1].id,
                lawful_basis=LawfulBasis.CONTRACT,
                channel=rng.choice(
                    (CollectionChannel.WEBSITE_PURCHASE, CollectionChannel.PHONE_ORDER)
                ),
                collected_at=placed,
            )
            total = 0
            for position, (sku, description, price) in enumerate(
                rng.sample(PRODUCTS, rng.randint(1, 4)), 1
            ):
                quantity = rng.randint(1, 3)
                total += quantity * price
                order.lines.append(
                    OrderLine(
                        position=position,
                        sku=sku,
                        description=description,
                        quantity=quantity,
                        unit_price_pence=price,
                    )
                )
                counts["lines"] += 1
            order.total_pence = total
            latest = max(latest, placed)
            uow.session.add(order)
            counts["orders"] += 1
            invoice = Invoice(
                subject_id=subject.id,
                order=order,
                number=f"INV{index:06d}{number:02d}",
                issued_at=placed,
                net_pence=round(total / (1 + VAT_RATE)),
                vat_pence=total - round(total / (1 + VAT_RATE)),
                lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
                channel=order.channel,
                collected_at=placed,
            )
            invoice.billing_name = f"{first} {last}"
            invoice.billing_address = f"{addresses[0].line1}, {town}, {addresses[0].postcode}"
            uow.session.add(invoice)
            counts["invoices"] += 1
        if rng.random() < 0.15:  # noqa: PLR2004 - share of customers who contacted support
            contact = ContactRecord(
                subject_id=subject.id,
                customer=customer,
                kind=rng.choice(("query", "complaint")),
                received_at=now - timedelta(days=rng.randint(1, 300)),
                channel=CollectionChannel.CONTACT,
                collected_at=now,
                lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
            )
            contact.summary = rng.choice(
                ("Where is my parcel?", "Item arrived damaged", "Change delivery address")
            )
            latest = max(latest, contact.received_at)
            uow.session.add(contact)
            counts["contacts"] += 1
        # the demo logins were active this week; everyone else when they last did something
        subject.last_activity_at = now - timedelta(days=2) if _login_email(index) else latest
        if index % 100 == 0:
            uow.session.flush()
    summary = (
        f"{size.customers} customers, {counts['orders']} orders ({counts['lines']} lines), "
        f"{counts['invoices']} invoices, {counts['contacts']} contacts"
    )
    return [summary]
