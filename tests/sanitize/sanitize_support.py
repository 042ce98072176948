"""Sanitise helpers: the seeded demo with one erased customer, copy targets and dumps."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from backend_support import pg_admin, pg_url
from klaremont.crypto.context import CryptoContext
from klaremont.customers.models import Address, Customer
from klaremont.db.subjects import Subject
from klaremont.demo import service as demo
from klaremont.platform import Platform
from klaremont.staff.models import StaffAccount

SMALL = demo.DemoSize(customers=8, seed=5)
KEY = b"sanitise-test-key-0123456789abcdef"
OTHER_KEY = b"another-test-key-0123456789abcdef"


def personal_values(platform: Platform) -> dict[str, set[str]]:
    """Plaintext personal values of the source (for the tests' own checks), by kind."""
    found: dict[str, set[str]] = {"all": set(), "erased": set()}
    with platform.unit_of_work() as uow:
        erased = set(uow.session.scalars(select(Subject.id).where(Subject.erased_at.is_not(None))))
        for customer in uow.session.scalars(select(Customer)):
            if customer.subject_id in erased:
                found["erased"].add(customer.reference)
                continue
            for value in (customer.name, customer.email, customer.phone, customer.mobile):
                if value and len(value) >= 6:
                    found["all"].add(value)
        for address in uow.session.scalars(select(Address)):
            if address.subject_id not in erased and address.line1:
                found["all"].add(address.line1)
        for account in uow.session.scalars(select(StaffAccount)):
            for value in (account.full_name, account.work_email):
                if value and len(value) >= 6:
                    found["all"].add(value)
    return found


@pytest.fixture
def seeded(platform: Platform) -> Platform:
    """The demo data, with one customer erased (data key destroyed, subject marked)."""
    demo.seed(platform, SMALL)
    with platform.unit_of_work() as uow:
        victim = uow.session.scalars(select(Customer).order_by(Customer.reference)).first()
        assert victim is not None
        subject = victim.subject_id
        uow.session.execute(
            update(Subject).where(Subject.id == subject).values(erased_at=uow.clock.now())
        )
    platform.keystore.destroy(subject, "erasure in a test")
    return platform


@pytest.fixture
def pg_target() -> Iterator[Callable[[], str]]:
    """Makes empty PostgreSQL databases for copies; drops them afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"kt_copy_{uuid.uuid4().hex[:12]}"
        pg_admin(f'CREATE DATABASE "{name}"')
        made.append(name)
        return pg_url(name)

    yield make
    for name in made:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def dump(platform: Platform) -> list[tuple[str, list[tuple[str, ...]]]]:
    """Every table of a copy as sorted text rows, sealed values opened with its keys.

    Left out: what the copy's own fresh keys make (ciphertext bytes, blind indexes), which
    differs between two copies by design.
    """
    from klaremont.sanitize.rules import plan  # noqa: PLC0415 - the plan loads every model

    ctx = CryptoContext(platform.keystore)
    out = []
    with platform.engine.connect() as conn:
        for table in plan().kept():
            rows = []
            for row in conn.execute(select(table.table)).mappings():
                shown = []
                for column, stored in sorted(row.items()):
                    if table.rules[column].kind == "derived":
                        continue  # blind indexes: keyed by the copy's own fresh index key
                    value = stored
                    if column in table.sealed and stored is not None:
                        value = ctx.open(
                            row["subject_id"], table.name, column, row["id"], bytes(stored)
                        )
                    shown.append(f"{column}={value}")
                rows.append(tuple(shown))
            out.append((table.name, sorted(rows)))
    return out


def raw_bytes(path: Path) -> bytes:
    """A SQLite copy's file bytes, with any side files."""
    data = path.read_bytes()
    for side in ("-wal", "-journal"):
        other = path.with_name(path.name + side)
        if other.exists():
            data += other.read_bytes()
    return data


def copy_files(folder: Path, name: str) -> dict[str, bytes]:
    """A copy's bytes as written: the file ``name`` in ``folder`` and every file of its key
    folder (``name.keys``; lock files left out), by place: two runs compare with ``==``."""
    keys = folder / f"{name}.keys"
    found = {"db": (folder / name).read_bytes()}
    for path in sorted(keys.rglob("*")):
        if path.is_file() and not path.name.endswith(".lock"):
            found[f"keys/{path.relative_to(keys)}"] = path.read_bytes()
    return found
