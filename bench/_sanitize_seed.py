"""The sanitiser benchmark's source store: customers with real sealed values, in bulk.

Per person: a data subject; a customer (name, date of birth, gender, e-mail, phone and
mobile sealed with the person's own data key through the platform's AES-GCM format, real
blind indexes from the keystore's indexer, a unique e-mail, a reference); one or two
addresses (sealed); for half of them a saved card (a ``tok_local_`` token, sealed, and the
last four of a Luhn-valid number of a real brand that is not a published test number); two
orders of one or two lines, each with an invoice (billing name and address sealed); unique
order and invoice numbers. Every data key is wrapped by the store's real key ring and
inserted into the keystore, so the platform (and the sanitiser) open every value.

Rows are built in memory and written every ``FLUSH_EVERY`` people: PostgreSQL ``COPY``,
SQLite one ``executemany`` per table on the raw connection (values as SQLAlchemy stores
them), each in the flush's transaction.
A sample of the people's plaintext values is kept (in memory only) for the leak check.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from klaremont.crypto.aead import DATA_KEY_BYTES, DataKey, seal_value
from klaremont.crypto.keystore import _wrap_aad
from klaremont.crypto.keystore_models import SubjectKey
from klaremont.customers.models import Address, Customer, Invoice, Order, OrderLine, PaymentCard
from klaremont.db.subjects import Subject
from klaremont.detectors.cards import is_test_number
from klaremont.detectors.pan import luhn_complete
from klaremont.platform import Platform

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table

NOW: Final = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FLUSH_EVERY: Final = 5000  # people per bulk insert
SAMPLE: Final = 1000  # source values kept for the leak check
FIRST: Final = (
    "Eleanor",
    "Harriet",
    "Imogen",
    "Rosalind",
    "Tobias",
    "Rupert",
    "Ottilie",
    "Cormac",
    "Fenella",
    "Lachlan",
    "Morwenna",
    "Ptolemy",
    "Isolde",
    "Evander",
)
LAST: Final = (
    "Ashdown",
    "Pryce",
    "Whitcombe",
    "Trevelyan",
    "Haverford",
    "Quennell",
    "Barraclough",
    "Fothergill",
    "Penhaligon",
    "Ravenscroft",
    "Tregothnan",
)
STREETS: Final = (
    "Wharfedale Row",
    "Saltergate Mews",
    "Penrhyn Crescent",
    "Kilnhurst Lane",
    "Gallowtree Gate",
    "Thistlebank Walk",
    "Ormskirk Parade",
)
TOWNS: Final = ("Harrogate", "Aberystwyth", "Kendal", "Truro", "Berwick", "Ludlow", "Whitby")
BRANDS: Final = ("visa", "mastercard", "amex")
PRODUCTS: Final = (
    ("KL-TEA-01", "Loose-leaf breakfast tea 250g", 1200),
    ("KL-MUG-02", "Stoneware mug", 900),
    ("KL-JAM-08", "Damson jam", 600),
)
console = Console()

TABLES: Final = tuple(
    cast("Table", model.__table__)
    for model in (Subject, Customer, Address, Order, OrderLine, Invoice, PaymentCard)
)
KEYS: Final = cast("Table", SubjectKey.__table__)


class KeyName(NamedTuple):
    """What a wrapped key is bound to (a key row's subject and version, without the ORM)."""

    subject_id: uuid.UUID
    version: int
    kek_id: str | None = None
    wrapped: bytes | None = None
    destroyed_at: datetime | None = None


@dataclass
class Seeder:
    """Builds one person's rows at a time and bulk-inserts them every ``FLUSH_EVERY``."""

    platform: Platform
    rng: random.Random
    sample_every: int
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    keys: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    sample: list[str] = field(default_factory=list)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def card(self) -> tuple[str, str, str]:
        """A brand, a ``tok_local_`` token and the last four of a real-brand, non-test PAN."""
        rng = self.rng
        brand = rng.choice(BRANDS)
        start = {"visa": "4", "mastercard": f"5{rng.randint(1, 5)}", "amex": "37"}[brand]
        length = 15 if brand == "amex" else 16
        while True:
            body = start + "".join(str(rng.randrange(10)) for _ in range(length - len(start) - 1))
            pan = luhn_complete(body)
            if not is_test_number(pan):
                break
        return brand, f"tok_local_{rng.getrandbits(96):024x}", pan[-4:]

    def person(self, n: int) -> None:
        """Person ``n`` (from 1) with everything they own."""
        rng, index = self.rng, self.platform.keystore.indexer
        sid, cid = self.uid(), self.uid()
        raw = rng.randbytes(DATA_KEY_BYTES)
        key = DataKey.from_bytes(sid, 1, raw)

        def seal(table: str, column: str, row_id: uuid.UUID, value: str) -> bytes:
            return seal_value(key, table, column, row_id, value.encode())

        created = NOW - timedelta(days=30 + n % 2000)
        common = {
            "channel": "website_purchase",
            "collected_at": created,
            "lawful_basis": "contract",
        }
        self.add("data_subjects", {"id": sid, "created_at": created, "last_activity_at": NOW,
                                   "marketing_objection_at": None, "restricted_at": None,
                                   "restriction_reason": None, "erased_at": None})  # fmt: skip
        first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
        name = f"{first} {last}-{LAST[n % len(LAST)]}"
        email = f"{first.lower()}.{last.lower()}{n}@post{n % 7}.example.org"
        phone, mobile = f"0161 {n % 10_000_000:07d}", f"07{n % 1_000_000_000:09d}"
        reference = f"C{n:07d}"
        self.add("customers", {
            "id": cid, "subject_id": sid, "reference": reference,
            "name": seal("customers", "name", cid, name),
            "date_of_birth": seal("customers", "date_of_birth", cid,
                                  f"{1950 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d}"),
            "gender": seal("customers", "gender", cid, ("female", "male")[n % 2]),
            "email": seal("customers", "email", cid, email),
            "email_bidx": index.index("email", email),
            "phone": seal("customers", "phone", cid, phone),
            "phone_bidx": index.index("phone", phone),
            "mobile": seal("customers", "mobile", cid, mobile),
            "mobile_bidx": index.index("phone", mobile),
            "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$" + rng.randbytes(48).hex()[:65],
            "created_at": created, "updated_at": created, "closed_at": None, **common,
        })  # fmt: skip
        line1 = f"{n % 240 + 1} {STREETS[n % len(STREETS)]}"
        town, postcode = TOWNS[n % len(TOWNS)], f"HG{n % 9 + 1} {n % 10}{'ABDEFGHJ'[n % 8]}X"
        addresses = []
        for kind in ("postal", "delivery")[: 1 + n % 2]:
            aid = self.uid()
            addresses.append(aid)
            self.add("addresses", {
                "id": aid, "subject_id": sid, "customer_id": cid, "kind": kind, "country": "GB",
                "line1": seal("addresses", "line1", aid, line1), "line2": None,
                "town": seal("addresses", "town", aid, town),
                "postcode": seal("addresses", "postcode", aid, postcode), **common,
            })  # fmt: skip
        token = None
        if n % 2 == 0:
            brand, token, last4 = self.card()
            card_id = self.uid()
            self.add("payment_cards", {
                "id": card_id, "subject_id": sid, "customer_id": cid, "provider": "localpay",
                "brand": brand, "exp_month": 1 + n % 12, "exp_year": 2027 + n % 4,
                "last4": last4, "created_at": created, "removed_at": None,
                "token": seal("payment_cards", "token", card_id, token), **common,
            })  # fmt: skip
        for number in range(2):
            oid, placed = self.uid(), created + timedelta(days=1 + number)
            lines = [PRODUCTS[(n + p) % len(PRODUCTS)] for p in range(1 + (n + number) % 2)]
            self.add("orders", {
                "id": oid, "subject_id": sid, "customer_id": cid,
                "number": f"KL{2 * n + number:07d}", "placed_at": placed, "status": "delivered",
                "total_pence": sum(p[2] for p in lines), "currency": "GBP",
                "delivery_address_id": addresses[-1], **common,
            })  # fmt: skip
            for position, (sku, description, price) in enumerate(lines, 1):
                self.add("order_lines", {
                    "id": self.uid(), "order_id": oid, "position": position, "sku": sku,
                    "description": description, "quantity": 1, "unit_price_pence": price,
                })  # fmt: skip
            iid = self.uid()
            self.add("invoices", {
                "id": iid, "subject_id": sid, "order_id": oid, "number": f"INV{2 * n + number:07d}",
                "issued_at": placed + timedelta(hours=1), "net_pence": 1000, "vat_pence": 200,
                "billing_name": seal("invoices", "billing_name", iid, name),
                "billing_address": seal("invoices", "billing_address", iid,
                                        f"{line1}, {town}, {postcode}"), **common,
            })  # fmt: skip
        kek_id, wrapped = self.platform.keyring.wrap(raw, _wrap_aad(KeyName(sid, 1)))
        self.keys.append({"subject_id": sid, "version": 1, "kek_id": kek_id, "wrapped": wrapped,
                          "created_at": created, "destroyed_at": None,
                          "destroyed_reason": None})  # fmt: skip
        if n % self.sample_every == 0 and len(self.sample) < SAMPLE:
            picked = (email, name, phone, mobile, line1, reference, f"KL{2 * n:07d}", token)
            self.sample.extend(v for v in picked if v is not None)

    def flush(self) -> None:
        with self.platform.engine.begin() as conn:
            for table in TABLES:
                rows = self.rows.pop(str(table.name), [])
                if rows:
                    bulk_write(conn, table, rows)
                    self.totals[table.name] = self.totals.get(table.name, 0) + len(rows)
        with self.platform.keystore_engine.begin() as conn:
            bulk_write(conn, KEYS, self.keys)
            self.totals["subject_keys"] = self.totals.get("subject_keys", 0) + len(self.keys)
            self.keys.clear()


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy stores on SQLite for our column types (ids as hex, naive UTC text)."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def bulk_write(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows (dicts with the same keys) into ``table`` on the connection's transaction:
    PostgreSQL ``COPY ... FROM STDIN`` (psycopg adapts the values), SQLite one
    ``executemany`` of values converted as SQLAlchemy stores them."""
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor().copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    raw.execute("PRAGMA cache_size = -262144")  # 256 MB: random-id indexes outgrow the default
    marks = ", ".join("?" for _ in columns)
    raw.executemany(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
        ([_sqlite_value(row[c]) for c in columns] for row in rows),
    )


def seed(platform: Platform, customers: int) -> tuple[dict[str, int], float, list[str]]:
    """Fill an empty, migrated store: row counts, seconds, and the sampled source values."""
    seeder = Seeder(platform, random.Random(11), sample_every=max(1, customers * 7 // SAMPLE))
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("seeding customers", total=customers)
        for n in range(1, customers + 1):
            seeder.person(n)
            if n % FLUSH_EVERY == 0 or n == customers:
                seeder.flush()
                progress.update(task, completed=n)
    return seeder.totals, time.perf_counter() - started, seeder.sample[:SAMPLE]
