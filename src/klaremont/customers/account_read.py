"""One account read for a purpose, in one statement: the customer store's hottest read.

:func:`klaremont.customers.service_read.read_customer` runs on every staff lookup of a
customer. Loading the account, its person and its addresses as ORM objects cost more than
everything else on that path, so this module reads exactly the columns the answer needs
with one Core query and opens each sealed value straight through the unit of work's
crypto context -- the same call, with the same table, column, row and subject bound into
the associated data, that the :func:`~klaremont.crypto.fields.sealed` descriptors make.
Writes and every other read keep using the ORM models.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select

from klaremont.customers.access import Access, announce_read, audit_read
from klaremont.customers.models import Address, Customer
from klaremont.customers.schemas import AddressOut, CustomerOut
from klaremont.db.subjects import Subject
from klaremont.errors import NotFound
from klaremont.policy.model import DataCategory

if TYPE_CHECKING:
    from sqlalchemy import Row, Select

    from klaremont.platform import UnitOfWork

ACCOUNT_SEALED = ("name", "date_of_birth", "gender", "email", "phone", "mobile")
ADDRESS_SEALED = ("line1", "line2", "town", "postcode")
_ADDRESS_PLAIN = ("id", "kind", "country", "channel", "collected_at", "lawful_basis")


@dataclass(frozen=True, slots=True)
class PersonState:
    """What the purpose check needs to know of the person behind an account."""

    id: uuid.UUID
    restricted_at: datetime | None
    erased_at: datetime | None
    marketing_objection_at: datetime | None


@dataclass(frozen=True, slots=True)
class AccountRow:
    """An account's plain columns, its person's state and its sealed values (still sealed)."""

    columns: dict[str, Any]
    person: PersonState
    addresses: list[dict[str, Any]]


@cache
def _query(*, by_id: bool, with_addresses: bool) -> Select[Any]:
    """The account by id or reference (bind ``key``), its person, optionally its addresses."""
    c, s, a = Customer.__table__, Subject.__table__, Address.__table__
    columns: list[Any] = [
        c.c.id,
        c.c.subject_id,
        c.c.reference,
        c.c.created_at,
        c.c.updated_at,
        c.c.closed_at,
        c.c.channel,
        c.c.collected_at,
        c.c.lawful_basis,
        c.c.password_hash.is_not(None).label("has_password"),
        *(c.c[name] for name in ACCOUNT_SEALED),
        s.c.restricted_at.label("p_restricted_at"),
        s.c.erased_at.label("p_erased_at"),
        s.c.marketing_objection_at.label("p_marketing_objection_at"),
    ]
    joined = c.join(s, s.c.id == c.c.subject_id)
    order: list[Any] = []
    if with_addresses:  # one round trip for the account and its addresses
        columns += [a.c[name].label(f"a_{name}") for name in (*_ADDRESS_PLAIN, *ADDRESS_SEALED)]
        joined = joined.outerjoin(a, a.c.customer_id == c.c.id)
        order = [a.c.collected_at, a.c.id]
    key = c.c.id if by_id else c.c.reference
    return select(*columns).select_from(joined).where(key == bindparam("key")).order_by(*order)


def load_account(uow: UnitOfWork, key: str | uuid.UUID, *, with_addresses: bool) -> AccountRow:
    """The account with this id or reference (``C0000001``); raises :class:`NotFound`."""
    try:
        ident: uuid.UUID | str = key if isinstance(key, uuid.UUID) else uuid.UUID(key)
    except ValueError:
        ident = str(key).strip().upper()
    session = uow.session
    if session.new or session.dirty or session.deleted:
        session.flush()  # this read bypasses the ORM: let it see the unit's own changes
    query = _query(by_id=isinstance(ident, uuid.UUID), with_addresses=with_addresses)
    rows = session.connection().execute(query, {"key": ident}).all()
    if not rows:
        raise NotFound("No such customer.")
    first = rows[0]._mapping  # noqa: SLF001 - SQLAlchemy's public mapping view of a row
    person = PersonState(
        id=first["subject_id"],
        restricted_at=first["p_restricted_at"],
        erased_at=first["p_erased_at"],
        marketing_objection_at=first["p_marketing_objection_at"],
    )
    addresses = [_address(row) for row in rows] if with_addresses else []
    return AccountRow(
        columns={name: first[name] for name in first.keys() if not name.startswith(("a_", "p_"))},  # noqa: SIM118 - RowMapping.keys() is the column list
        person=person,
        addresses=[a for a in addresses if a["id"] is not None],
    )


def _address(row: Row[Any]) -> dict[str, Any]:
    mapping = row._mapping  # noqa: SLF001 - SQLAlchemy's public mapping view of a row
    return {name: mapping[f"a_{name}"] for name in (*_ADDRESS_PLAIN, *ADDRESS_SEALED)}


def open_values(
    uow: UnitOfWork,
    sealed: dict[str, Any],
    names: tuple[str, ...],
    *,
    table: str,
    row_id: uuid.UUID,
    subject_id: uuid.UUID,
) -> dict[str, str | None]:
    """Decrypt the sealed ``names`` of one row of ``table`` (``None`` stays ``None``)."""
    ctx = uow.crypto
    opened: dict[str, str | None] = {}
    for name in names:
        value = sealed[name]
        opened[name] = (
            None if value is None else ctx.open(subject_id, table, name, row_id, bytes(value))
        )
    return opened


def age_on(date_of_birth: str | None, today: date) -> int | None:
    """Whole years from an ISO date of birth to ``today`` (never stored, PP-DATA)."""
    if not date_of_birth:
        return None
    born = date.fromisoformat(date_of_birth)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


CUSTOMERS_TABLE = Customer.__tablename__
ADDRESSES_TABLE = Address.__tablename__
C = DataCategory
ACCOUNT_CATEGORIES = frozenset({C.IDENTITY, C.CONTACT, C.ADDRESS})


def read_customer(uow: UnitOfWork, key: str | uuid.UUID, access: Access) -> CustomerOut:
    """One account for ``access.purpose``: purpose-checked, decrypted, audited.

    One statement reads the account, its person and (when shown) its addresses
    (:mod:`klaremont.customers.account_read`); only the categories shown are decrypted.
    """
    access = access.resolved(uow)
    visible = access.visible(uow) & ACCOUNT_CATEGORIES
    account = load_account(uow, key, with_addresses=C.ADDRESS in visible)
    access.authorise(uow, account.person, visible)
    columns = account.columns
    customer_id, subject_id = columns["id"], columns["subject_id"]
    out = CustomerOut(
        id=customer_id,
        reference=columns["reference"],
        subject_id=subject_id,
        created_at=columns["created_at"],
        updated_at=columns["updated_at"],
        closed_at=columns["closed_at"],
        has_password=columns["has_password"],
        channel=columns["channel"],
        collected_at=columns["collected_at"],
        lawful_basis=columns["lawful_basis"],
        purpose=access.purpose,
        shown=sorted(visible),
        withheld=sorted(ACCOUNT_CATEGORIES - visible),
    )
    wanted = (*_IDENTITY, *(_CONTACT if C.CONTACT in visible else ()))
    opened = open_values(
        uow, columns, wanted, table=CUSTOMERS_TABLE, row_id=customer_id, subject_id=subject_id
    )
    if C.IDENTITY in visible:
        out.name, out.gender = opened["name"], opened["gender"]
        out.date_of_birth = opened["date_of_birth"]
        out.age = age_on(out.date_of_birth, uow.clock.now().date())
    if C.CONTACT in visible:
        out.email, out.phone, out.mobile = opened["email"], opened["phone"], opened["mobile"]
    if C.ADDRESS in visible:
        out.addresses = [_address_out(uow, subject_id, row) for row in account.addresses]
    audit_read(uow, access, f"customer:{customer_id}", visible)
    announce_read(uow, access, subject_id, columns["reference"], "account", visible)
    return out


_IDENTITY = ("name", "date_of_birth", "gender")
_CONTACT = ("email", "phone", "mobile")


def _address_out(uow: UnitOfWork, subject_id: uuid.UUID, row: dict[str, Any]) -> AddressOut:
    opened = open_values(
        uow, row, ADDRESS_SEALED, table=ADDRESSES_TABLE, row_id=row["id"], subject_id=subject_id
    )
    return AddressOut(
        id=row["id"],
        kind=row["kind"],
        country=row["country"],
        channel=row["channel"],
        collected_at=row["collected_at"],
        lawful_basis=row["lawful_basis"],
        **opened,
    )
