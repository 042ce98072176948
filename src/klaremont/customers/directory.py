"""Who a customer is, for another capability that must name or write to them: the
``customer_lookup`` and ``customer_contacts`` extension points' providers.

Incident response lists the customers affected by a breach (by account reference or
e-mail address) and sends them the breach notice (UK GDPR Art. 34) without reading the
customer tables itself:

- :func:`lookup` ``(uow, text) -> list[CustomerRef]``: the accounts an account reference
  (``C0001234``) or an e-mail address (matched on its blind index, nothing decrypted)
  names; empty when none does.
- :func:`contacts` ``(uow, subject_ids) -> list[CustomerContact]``: the e-mail address on
  file for each person (one per person, their oldest account with an address), for mail
  only; a person with no address is left out.

- :func:`subjects` ``(uow, customer_ids) -> {customer_id: subject_id}``: whose accounts
  these are (the disclosures capability tells recipients of a rectified account, Art. 19).

None audits on its own: the caller records what it did with the answer (incident
response audits each customer listed and each notice queued).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.customers.models import Customer

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

REFERENCE_MAX = 16


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """A person by their account reference (not personal) and data-subject id."""

    subject_id: uuid.UUID
    reference: str


@dataclass(frozen=True, slots=True)
class CustomerContact:
    """Where to write to a person: their account reference and e-mail address."""

    subject_id: uuid.UUID
    reference: str
    email: str


def lookup(uow: UnitOfWork, text: str) -> list[CustomerRef]:
    """The accounts ``text`` names: an account reference, or an e-mail address."""
    key = text.strip()
    if not key:
        return []
    if "@" in key:
        condition = Customer.email.matches(key, uow.session)
    elif len(key) <= REFERENCE_MAX:
        condition = Customer.reference == key.upper()
    else:
        return []
    query = select(Customer.subject_id, Customer.reference).where(condition)
    rows = uow.session.execute(query.order_by(Customer.reference))
    return [CustomerRef(subject_id, reference) for subject_id, reference in rows]


def contacts(uow: UnitOfWork, subject_ids: Iterable[uuid.UUID]) -> list[CustomerContact]:
    """The e-mail address on file for each person (one each), in reference order."""
    wanted = set(subject_ids)
    if not wanted:
        return []
    accounts = uow.session.scalars(
        select(Customer)
        .where(Customer.subject_id.in_(wanted))
        .order_by(Customer.created_at, Customer.reference)
    )
    found: dict[uuid.UUID, CustomerContact] = {}
    for account in accounts:
        if account.subject_id in found or not account.email:
            continue
        found[account.subject_id] = CustomerContact(
            account.subject_id, account.reference, account.email
        )
    return sorted(found.values(), key=lambda c: c.reference)


def subjects(uow: UnitOfWork, customer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The person each account belongs to (accounts that do not exist are left out)."""
    wanted = set(customer_ids)
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(Customer.id, Customer.subject_id).where(Customer.id.in_(wanted))
    )
    return {row[0]: row[1] for row in rows}
