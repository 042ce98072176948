"""Connector test helpers: Klaremont customers, and throwaway external shop databases on
the same back end as the tests (PostgreSQL, or SQLite files)."""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from backend_support import BACKEND, pg_admin, pg_url
from klaremont.audit.events import Actor, ActorType
from klaremont.connectors import demo_shop
from klaremont.customers.models import CollectionChannel, Customer
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.policy.purposes import LawfulBasis
from klaremont.rights.ports import CustomerIdentity

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Person:
    """A Klaremont customer whose e-mail address the shop also knows."""

    subject_id: uuid.UUID
    customer_id: uuid.UUID
    email: str

    @property
    def identity(self) -> CustomerIdentity:
        """As the privacy centre knows them once signed in."""
        return CustomerIdentity(self.subject_id, self.customer_id)


def seed_customer(platform: Platform, email: str) -> Person:
    """A Klaremont customer account with ``email``."""
    n = next(_numbers)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        now = uow.clock.now()
        subject = Subject(created_at=now - timedelta(days=100), last_activity_at=now)
        uow.session.add(subject)
        customer = Customer(
            subject_id=subject.id,
            reference=f"X{n:07d}",
            created_at=now - timedelta(days=100),
            updated_at=now,
            channel=CollectionChannel.ACCOUNT_CREATION,
            collected_at=now - timedelta(days=100),
            lawful_basis=LawfulBasis.CONTRACT,
        )
        customer.email = email
        customer.name = f"Person {n}"
        uow.session.add(customer)
        uow.session.flush()
        return Person(subject.id, customer.id, email)


@dataclass
class Shop:
    """One throwaway external shop database."""

    name: str
    url: str
    url_env: str
    database: str | None  # the PostgreSQL database to drop afterwards

    def execute(self, *statements: str) -> None:
        """Run statements on the shop (a trigger, a check)."""
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()

    def count(self, table: str, where: str = "1=1") -> int:
        """Rows of ``table`` matching ``where``."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}")) or 0)
        finally:
            engine.dispose()

    def fill(self, customers: list[tuple[int, str, int]]) -> None:
        """Add customers: (id, e-mail, orders), three lines an order."""
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                for customer_id, email, orders in customers:
                    demo_shop.add_customer(conn, customer_id, email, orders=orders)
        finally:
            engine.dispose()

    def refuse_deletes(self, table: str) -> None:
        """A trigger that makes any DELETE on ``table`` fail (a store failing mid-erasure)."""
        if BACKEND == "postgresql":
            self.execute(
                "CREATE FUNCTION shop_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'deletes refused'; END $$",
                f"CREATE TRIGGER shop_refuse BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION shop_refuse()",
            )
        else:
            self.execute(
                f"CREATE TRIGGER shop_refuse BEFORE DELETE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'deletes refused'); END"
            )

    def allow_deletes(self, table: str) -> None:
        """Drop the refusing trigger."""
        if BACKEND == "postgresql":
            self.execute(f"DROP TRIGGER shop_refuse ON {table}")
        else:
            self.execute("DROP TRIGGER shop_refuse")


def make_shop(name: str, folder: Path) -> Shop:
    """A new, empty shop database with the demo schema."""
    env = f"KT_SHOP_URL_{name.upper().replace('-', '_')}"
    if BACKEND == "postgresql":
        database = f"kt_shop_{os.getpid()}_{name.replace('-', '_')}_{next(_numbers)}"
        pg_admin(
            f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"'
        )
        url = pg_url(database)
    else:
        database = None
        url = f"sqlite:///{folder / f'{name}.db'}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if BACKEND != "postgresql":
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            demo_shop.create(conn)
    finally:
        engine.dispose()
    return Shop(name, url, env, database)


def drop_shop(shop: Shop) -> None:
    """Remove a PostgreSQL shop database."""
    if shop.database:
        pg_admin(f'DROP DATABASE IF EXISTS "{shop.database}" WITH (FORCE)')
