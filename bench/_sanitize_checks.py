"""What the sanitiser benchmark checks on a copy (``--check-app``), as a checklist.

* the platform starts on the copy (its own key folder) and ``GET /health/ready`` says 200;
* the test fixtures work on it: a customer with addresses created through the customers
  service, an order with lines and an invoice added, both read back through the services,
  and a staff member created and signed in through the API;
* every foreign key holds (a count of orphans per foreign key, same query on both engines);
* each unique column (or set) of every copied table has as many distinct values as the
  source's;
* the scanner (``klaremont scan run --detect cards``) finds no card data in the copy's raw
  file (SQLite) or database (PostgreSQL) nor in its key folder;
* none of a sample of 1,000 source personal values is in the copy: searched in the raw
  bytes (the SQLite file; PostgreSQL: every copied table as ``COPY ... TO STDOUT`` text)
  and among the copy's sealed values opened with the copy's own keys (none kept). Seven-digit
  references and order numbers are kept in format, so another row's fake may equal a sampled
  one by chance: those matches are named apart, and as many allowed as chance explains
  (the expected count and four standard deviations, plus two).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, cast

import psycopg
from sqlalchemy import UniqueConstraint, create_engine, func, select, text
from starlette.testclient import TestClient

from _sanitize_contenders import copied_tables, copy_settings, sealed_columns
from _stores import psycopg_url
from klaremont.audit.events import Actor, ActorType
from klaremont.crypto.context import CryptoContext
from klaremont.customers import service
from klaremont.customers.access import Access
from klaremont.customers.models import (
    AddressKind,
    CollectionChannel,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
)
from klaremont.customers.schemas import AddressIn, CustomerCreate
from klaremont.platform import Platform
from klaremont.policy.model import SecondFactorPolicy
from klaremont.policy.purposes import LawfulBasis, Purpose
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client
from klaremont.web.app import create_app

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table

ACTOR: Final = Actor(ActorType.SYSTEM, "bench")
SUPPORT: Final = Access(Purpose.SUPPORT, frozenset({Role.SUPPORT_AGENT}))
KLAREMONT: Final = Path(sys.executable).with_name("klaremont")
SHORT: Final = re.compile(r"(C|KL|INV)\d{7}")
NUMBERED: Final = {"C": "customers", "KL": "orders", "INV": "invoices"}  # prefix -> table


def _engine_url(url: str) -> str:
    return psycopg_url(url) if url.startswith("postgresql") else url


def app_starts(platform: Platform) -> tuple[bool, str]:
    """``GET /health/ready`` through the app on the copy."""
    with TestClient(create_app(platform), base_url="https://testserver") as client:
        response = client.get("/health/ready")
    return response.status_code == 200, f"GET /health/ready -> {response.status_code}"


def fixtures_work(platform: Platform) -> tuple[bool, str]:
    """A customer and an order made and read back through the services; a staff sign-in."""
    body = CustomerCreate(
        name="Bench Fixture", email="bench.fixture@example.com", date_of_birth=date(1990, 1, 2),
        channel=CollectionChannel.ACCOUNT_CREATION,
        addresses=[AddressIn(kind=AddressKind.POSTAL, line1="1 Mill Lane", town="York",
                             postcode="YO1 7HH")],
    )  # fmt: skip
    with platform.unit_of_work(actor=ACTOR) as uow:
        customer_id = service.create_customer(uow, body).id
    with platform.unit_of_work(actor=ACTOR) as uow:
        customer = service.find_customer(uow, customer_id)
        now = uow.clock.now()
        common = {"channel": CollectionChannel.WEBSITE_PURCHASE, "collected_at": now,
                  "lawful_basis": LawfulBasis.CONTRACT}  # fmt: skip
        order = Order(subject_id=customer.subject_id, customer_id=customer.id,
                      number="KLBENCH000001", placed_at=now, status=OrderStatus.PAID,
                      total_pence=900, **common)  # fmt: skip
        order.lines.append(OrderLine(position=1, sku="KL-MUG-02", description="Mug",
                                     quantity=1, unit_price_pence=900))  # fmt: skip
        uow.session.add(order)
        invoice = Invoice(subject_id=customer.subject_id, order=order, number="INVBENCH000001",
                          issued_at=now, net_pence=750, vat_pence=150, **common)  # fmt: skip
        invoice.billing_name = "Bench Fixture"
        uow.session.add(invoice)
    with platform.unit_of_work(actor=ACTOR) as uow:
        read = service.read_customer(uow, customer_id, SUPPORT)
        orders = service.list_orders(uow, customer_id, SUPPORT)
    ok = read.name == "Bench Fixture" and [o.number for o in orders] == ["KLBENCH000001"]
    make_staff(platform, "benchiso", Role.ISO)
    with staff_client(platform, "benchiso") as client:
        me = client.get("/api/auth/me")
    ok = ok and me.status_code == 200
    return ok, f"customer {read.reference} and order read back; staff sign-in -> {me.status_code}"


def orphans(conn: Connection, tables: list[Table]) -> dict[str, int]:
    """Foreign keys with rows pointing at nothing: ``table.column -> count``."""
    found: dict[str, int] = {}
    for table in tables:
        for fk in table.foreign_keys:
            parent = fk.column.table
            child, target = table.c[fk.parent.name], parent.c[fk.column.name]
            query = (
                select(func.count())
                .select_from(table)
                .where(child.is_not(None), ~select(target).where(target == child).exists())
            )
            count = int(conn.execute(query).scalar_one())
            if count:
                found[f"{table.name}.{fk.parent.name}"] = count
    return found


def distinct_counts(conn: Connection, tables: list[Table]) -> dict[str, int]:
    """Distinct non-null values of every unique column (or set) of the copied tables."""
    out: dict[str, int] = {}
    for table in tables:
        sets = [tuple(c.name for c in i.columns) for i in table.indexes if i.unique]
        sets += [tuple(c.name for c in u.columns) for u in table.constraints
                 if isinstance(u, UniqueConstraint)]  # fmt: skip
        for names in dict.fromkeys(sets):
            inner = (
                select(*(table.c[n] for n in names))
                .where(*(table.c[n].is_not(None) for n in names))
                .distinct()
                .subquery()
            )
            out[f"{table.name} ({', '.join(names)})"] = int(
                conn.execute(select(func.count()).select_from(inner)).scalar_one()
            )
    return out


def scan_clean(target_url: str, keys: Path, work: Path) -> tuple[bool, str]:
    """``klaremont scan run --detect cards`` on the copy's raw file or database and keys."""
    place = target_url.removeprefix("sqlite:///") if target_url.startswith("sqlite") else target_url
    report = work / "scan.json"
    command = [str(KLAREMONT), "scan", "run", place, str(keys), "--detect", "cards", "--quiet",
               "--no-record", "--json", str(report)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own CLI
    data = json.loads(report.read_text()) if report.exists() else {}
    findings = data.get("findings", [])
    ok = done.returncode == 0 and not findings
    return ok, f"exit {done.returncode}, {len(findings)} card findings" + (
        "" if report.exists() else f" (no report: {done.stderr.strip()[-200:]})"
    )


def raw_hits(target_url: str, tables: list[Table], sample: list[str], work: Path) -> list[str]:
    """Every occurrence of a sampled value in the copy as stored (``grep -F -o``): the
    SQLite file, or every copied table as ``COPY ... TO STDOUT`` text streamed to grep."""
    patterns = work / "sample.txt"
    patterns.write_text("\n".join(sample) + "\n", encoding="utf-8")
    grep = ["grep", "-a", "-o", "-F", "-f", str(patterns)]
    if target_url.startswith("sqlite"):
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [*grep, target_url.removeprefix("sqlite:///")], capture_output=True, check=False
        )
        return done.stdout.decode(errors="replace").splitlines()
    hits = work / "hits.txt"
    with (
        hits.open("wb") as sink,
        subprocess.Popen([*grep, "-"], stdin=subprocess.PIPE, stdout=sink) as proc,  # noqa: S603 - fixed arguments
        psycopg.connect(target_url) as conn,
    ):
        feed = cast("IO[bytes]", proc.stdin)
        for table in tables:
            with conn.cursor().copy(f'COPY "{table.name}" TO STDOUT') as out:
                for block in out:
                    feed.write(block)
        feed.close()
    return hits.read_bytes().decode(errors="replace").splitlines()


def sealed_hits(platform: Platform, tables: list[Table], wanted: set[str]) -> tuple[int, int]:
    """Open every sealed value of the copy with its own keys: (values opened, values in
    ``wanted``). Nothing opened is kept."""
    sealed = sealed_columns()
    ctx = CryptoContext(platform.keystore)
    opened = hits = 0
    with platform.engine.connect() as conn:
        for table in tables:
            columns = sealed.get(table.name)
            if not columns or "subject_id" not in table.c:
                continue
            query = select(table.c.id, table.c.subject_id, *(table.c[c] for c in columns))
            for row in conn.execution_options(yield_per=5000).execute(query).mappings():
                for column in columns:
                    if row[column] is not None:
                        value = ctx.open(row["subject_id"], table.name, column, row["id"],
                                         bytes(row[column]))  # fmt: skip
                        opened += 1
                        hits += value in wanted
    return opened, hits


def check_copy(
    source_url: str, target_url: str, keys: Path, sample: list[str], work: Path
) -> dict[str, dict[str, Any]]:
    """The checklist for one copy: item -> {"ok": bool, "detail": str}."""
    tables = [t for t, _ in copied_tables()]
    out: dict[str, dict[str, Any]] = {}

    def item(name: str, ok: bool, detail: str) -> None:
        out[name] = {"ok": bool(ok), "detail": detail}

    # before the fixtures add rows: the copy as the sanitiser left it
    source = create_engine(_engine_url(source_url))
    copy = create_engine(_engine_url(target_url))
    with source.connect() as src, copy.connect() as dst:
        lost = orphans(dst, tables)
        item("every foreign key holds", not lost, f"orphans: {lost or 'none'}")
        before, after = distinct_counts(src, tables), distinct_counts(dst, tables)
        differ = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        total = sum(after.values())
        item("unique columns: distinct counts equal the source's", not differ,
             f"{len(before)} unique sets, {total:,} distinct values"
             + (f"; differ: {differ}" if differ else ""))  # fmt: skip
        numbers = {prefix: dst.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                   for prefix, name in NUMBERED.items()}  # fmt: skip
    source.dispose()
    copy.dispose()
    ok, detail = scan_clean(target_url, keys, work)
    item("scanner: no live card number in the raw copy", ok, detail)
    platform = Platform.build(copy_settings(target_url, keys))
    platform.policy = platform.policy.model_copy(
        update={"second_factor": SecondFactorPolicy(required_for_privileged=False)}
    )
    try:
        in_raw = raw_hits(target_url, tables, sample, work)
        opened, in_sealed = sealed_hits(platform, tables, set(sample))
        # references and order numbers are seven digits kept in format (a permutation of
        # 10^7 numbers): another row's fake equals a sampled value by chance, expected
        # (numbers of that kind in the copy) / 10^7 times per sampled value; allowed: that
        # expectation and four standard deviations (Poisson), plus two
        short = sorted({v for v in in_raw if SHORT.fullmatch(v)})
        other = sorted({v for v in in_raw if not SHORT.fullmatch(v)})
        expected = sum(numbers[m.group(1)] / 10**7 for v in sample if (m := SHORT.fullmatch(v)))
        allowed = math.floor(expected + 4 * math.sqrt(expected) + 2)
        item(f"none of {len(sample):,} source values in the copy",
             not other and not in_sealed and len(short) <= allowed,
             f"raw bytes: {len(other)} found, and {len(short)} seven-digit references or "
             f"order numbers (chance matches with other rows' fakes: {expected:.1f} "
             f"expected, at most {allowed} allowed); "
             f"opened sealed values ({opened:,}): {in_sealed} found")  # fmt: skip
        item("the application starts on the copy", *app_starts(platform))
        item("the test fixtures work on the copy", *fixtures_work(platform))
    finally:
        platform.dispose()
    return out
