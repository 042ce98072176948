"""Changing the customer store: accounts, rectification, addresses, contacts, passwords.

Every record keeps its collection channel, time and lawful basis (PP-SRC, DP-FAIR,
IS-SENS-CONSENT). Free text is run through the card-data guard first, so no card number
rides in through a name or a complaint. Changes are audited with field *names* only;
values never reach the audit log. Services add and flush; the caller commits.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont import plausible
from klaremont.card_refusal import guard_input
from klaremont.crypto.blind_index import NORMALISERS
from klaremont.customers.actions import CustomerAction
from klaremont.customers.announcements import AccountOpened, CustomerRectified
from klaremont.customers.categories import category_of
from klaremont.customers.models import Address, ContactRecord, Customer
from klaremont.customers.schemas import (
    PASSWORD_MIN,
    AddressIn,
    AddressOut,
    ContactIn,
    ContactOut,
    CustomerCreate,
    CustomerCreated,
    CustomerOut,
    CustomerUpdate,
)
from klaremont.customers.service_read import (
    address_out,
    contact_out,
    customer_out,
    find_customer,
)
from klaremont.db.subjects import Subject
from klaremont.errors import ValidationFailed
from klaremont.events import publish
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import LawfulBasis
from klaremont.staff.actions import StaffAction
from klaremont.staff.blocklist import is_common
from klaremont.staff.hashing import hashing_for

if TYPE_CHECKING:
    import uuid

    from klaremont.customers.access import Access
    from klaremont.platform import UnitOfWork

PASSWORD_MAX = 1024
_INDEXED = {"email": "email", "phone": "phone", "mobile": "phone"}


def _checked(field: str, value: str | None) -> str | None:
    """Refuse a malformed e-mail or phone number, naming the field it came in."""
    kind = _INDEXED.get(field)
    if value is not None and kind is not None:
        try:
            NORMALISERS[kind](value)
        except ValidationFailed as exc:
            rule = exc.problems[0].rule if exc.problems else "is not valid"
            raise ValidationFailed.single(field, rule) from None
    return value


def _new_reference(uow: UnitOfWork) -> str:
    while True:
        reference = f"C{secrets.randbelow(10**7):07d}"
        taken = uow.session.scalar(select(Customer.id).where(Customer.reference == reference))
        if taken is None:
            return reference


def _existing_subject(uow: UnitOfWork, email: str) -> Subject | None:
    """The person who already holds an account with this e-mail (PP-COMBINE), if any."""
    query = (
        select(Subject)
        .join(Customer, Customer.subject_id == Subject.id)
        .where(Customer.email.matches(email, uow.session), Subject.erased_at.is_(None))
        .order_by(Customer.created_at)
        .limit(1)
    )
    return uow.session.scalars(query).first()


def check_password(password: str, email: str | None = None) -> None:
    """A customer password: 12 to 1024 characters, not a common one, not the e-mail."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed.single(
            "password", f"must have {PASSWORD_MIN} to {PASSWORD_MAX} characters"
        )
    if is_common(password) or (email and password.strip().lower() == email.strip().lower()):
        raise ValidationFailed.single("password", "is too common or too easy to guess")


def create_customer(uow: UnitOfWork, body: CustomerCreate) -> CustomerCreated:
    """Create an account; an e-mail already on file joins that person's record."""
    guard_input(uow, body.model_dump(mode="json", exclude={"password"}), resource="customers")
    for field in ("email", "phone", "mobile"):
        _checked(field, getattr(body, field))
    if body.date_of_birth is not None:
        plausible.past_day("date_of_birth", body.date_of_birth, uow.clock.now().date())
    password = body.password.get_secret_value() if body.password is not None else None
    hashed = None
    if password is not None:
        check_password(password, body.email)
        hashing = hashing_for(uow.platform)
        secret = password
        hashed = uow.unlocked(lambda: hashing.hash(secret))  # Argon2 before the write lock
    now = uow.clock.now()
    subject = _existing_subject(uow, body.email)
    linked = subject is not None
    if subject is None:
        subject = Subject(created_at=now)
        uow.session.add(subject)
    subject.last_activity_at = now
    provenance = {"channel": body.channel, "collected_at": now, "lawful_basis": body.lawful_basis}
    customer = Customer(
        subject_id=subject.id,
        reference=_new_reference(uow),
        created_at=now,
        updated_at=now,
        **provenance,
    )
    customer.name = body.name
    customer.email = body.email
    customer.date_of_birth = body.date_of_birth.isoformat() if body.date_of_birth else None
    customer.gender, customer.phone, customer.mobile = body.gender, body.phone, body.mobile
    if hashed is not None:
        customer.password_hash = hashed
    uow.session.add(customer)
    for address in body.addresses:
        uow.session.add(_address(customer, address, provenance))
    uow.session.flush()
    # PP-OPTOUT: a new person is always offered the marketing choice (consent records it)
    offered = body.marketing is not None or not linked
    publish(
        uow,
        AccountOpened(
            subject_id=subject.id,
            customer_id=customer.id,
            channel=body.channel.value,
            marketing=(body.marketing or {}) if offered else None,
        ),
    )
    fields = sorted(
        f
        for f in body.model_fields_set
        if f not in {"addresses", "marketing"} and getattr(body, f) is not None
    )
    uow.audit(
        CustomerAction.PERSONAL_DATA_CREATE,
        resource=f"customer:{customer.id}",
        details={
            "fields": fields,
            "addresses": len(body.addresses),
            "channel": body.channel.value,
            "lawful_basis": body.lawful_basis.value,
            "linked": linked,
        },
    )
    return CustomerCreated(
        id=customer.id, reference=customer.reference, subject_id=subject.id, linked=linked
    )


def _address(customer: Customer, body: AddressIn, provenance: dict[str, object]) -> Address:
    address = Address(
        subject_id=customer.subject_id,
        customer_id=customer.id,
        kind=body.kind,
        country=body.country,
        **provenance,
    )
    address.line1, address.line2 = body.line1, body.line2
    address.town, address.postcode = body.town, body.postcode
    return address


def rectify_customer(
    uow: UnitOfWork, key: str | uuid.UUID, changes: CustomerUpdate, access: Access
) -> CustomerOut:
    """Correct account fields (PP-R-RECTIFY); only the fields sent change, each audited by name."""
    access = access.resolved(uow)
    customer = find_customer(uow, key)
    sent = sorted(changes.model_fields_set)
    if not sent:
        raise ValidationFailed.single("body", "name at least one field to correct")
    if "name" in sent and changes.name is None:
        raise ValidationFailed.single("name", "cannot be removed, only corrected")
    if "email" in sent and changes.email is None:
        raise ValidationFailed.single("email", "cannot be removed, only corrected")
    categories = {category_of("customers", f) for f in sent}
    access.authorise(uow, customer.subject, categories)
    guard_input(uow, changes.model_dump(mode="json"), resource=f"customer:{customer.id}")
    changed: list[str] = []
    if changes.date_of_birth is not None:
        plausible.past_day("date_of_birth", changes.date_of_birth, uow.clock.now().date())
    for field in sent:
        value = getattr(changes, field)
        text = value.isoformat() if field == "date_of_birth" and value is not None else value
        if getattr(customer, field) != _checked(field, text):
            setattr(customer, field, text)
            changed.append(field)
    if changed:
        customer.updated_at = uow.clock.now()
        uow.session.flush()
        # DP-ACCURATE: a correction counts as a review of the record (accuracy subscribes)
        publish(
            uow,
            CustomerRectified(
                customer_ids=(customer.id,), channel="staff_correction", fields=tuple(changed)
            ),
        )
    uow.audit(
        CustomerAction.PERSONAL_DATA_UPDATE,
        resource=f"customer:{customer.id}",
        purpose=access.purpose.value,
        details={"fields": changed, "unchanged": sorted(set(sent) - set(changed))},
    )
    return customer_out(uow, customer, access, frozenset(categories))


def add_address(
    uow: UnitOfWork, key: str | uuid.UUID, body: AddressIn, access: Access
) -> AddressOut:
    """Add a postal, billing or delivery address to an account."""
    access = access.resolved(uow)
    customer = find_customer(uow, key)
    access.authorise(uow, customer.subject, {DataCategory.ADDRESS})
    guard_input(uow, body.model_dump(mode="json"), resource=f"customer:{customer.id}/addresses")
    now = uow.clock.now()
    provenance = {
        "channel": customer.channel,
        "collected_at": now,
        "lawful_basis": LawfulBasis.CONTRACT,
    }
    address = _address(customer, body, provenance)
    uow.session.add(address)
    uow.session.flush()
    uow.audit(
        CustomerAction.PERSONAL_DATA_CREATE,
        resource=f"address:{address.id}",
        purpose=access.purpose.value,
        details={"customer": str(customer.id), "kind": body.kind.value},
    )
    return address_out(address)


def record_contact(
    uow: UnitOfWork, key: str | uuid.UUID, body: ContactIn, access: Access
) -> ContactOut:
    """Record a query or complaint (PP-SRC: data collected when people contact us)."""
    access = access.resolved(uow)
    customer = find_customer(uow, key)
    access.authorise(uow, customer.subject, {DataCategory.SUPPORT_CONTACTS})
    guard_input(uow, body.model_dump(mode="json"), resource=f"customer:{customer.id}/contacts")
    now = uow.clock.now()
    contact = ContactRecord(
        subject_id=customer.subject_id,
        customer_id=customer.id,
        kind=body.kind,
        received_at=now,
        channel=body.channel,
        collected_at=now,
        lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
    )
    contact.summary = body.summary
    uow.session.add(contact)
    customer.subject.last_activity_at = now
    uow.session.flush()
    uow.audit(
        CustomerAction.PERSONAL_DATA_CREATE,
        resource=f"contact:{contact.id}",
        purpose=access.purpose.value,
        details={"customer": str(customer.id), "kind": body.kind, "fields": ["summary"]},
    )
    return contact_out(contact)


def set_password(uow: UnitOfWork, key: str | uuid.UUID, password: str) -> None:
    """Set a customer account's password (Argon2id with the policy's parameters)."""
    customer = find_customer(uow, key)
    check_password(password, customer.email)
    hashing = hashing_for(uow.platform)
    hashed = uow.unlocked(lambda: hashing.hash(password))  # Argon2 before the write lock
    customer.password_hash = hashed
    customer.updated_at = uow.clock.now()
    uow.session.flush()
    uow.audit(StaffAction.PASSWORD_CHANGE, resource=f"customer:{customer.id}")
