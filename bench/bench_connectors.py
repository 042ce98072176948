"""Access and erasure of one customer in an external PostgreSQL shop database, through the
connectors, beside hand-written SQL.

Shop (another system's database, the demo schema of ``klaremont.connectors.demo_shop``):
100 000 customers (one address and one loyalty account each), 500 000 orders and
1 500 000 order lines, bulk-loaded with COPY, plus heavy customers of 2 000 orders and
6 000 lines. A functional index on ``lower(email)`` as a shop matching addresses without
case would have. Measured: a light customer (1 account, 1 address, 1 loyalty, 5 orders,
15 lines: 23 rows over 5 tables) and a heavy one (2 000 orders, 6 000 lines).

* access: ``klaremont.connectors.service.external_access`` in one unit of work of a
  Klaremont on PostgreSQL, commit included: the person's address from the customers
  capability, the transfer guard, the identity rows, one SELECT per table, the audit event;
* erasure: ``external_erasure`` (delete mode) in one unit of work: identity rows, one
  transaction in the shop deleting children first, the ``connector_runs`` record, audit;
* masking erasure: the same with customers and orders masked, lines kept.

Baselines in the same run: hand-written SQL through psycopg (the same SELECTs, resp.
DELETEs / UPDATEs with joins on the customer id), in one transaction, nothing recorded.
Targets: access <= 20 ms, erasure <= 35 ms; heavy <= 150 ms / <= 300 ms.

Run: .venv/bin/python bench/bench_connectors.py [--customers N] [--runs N]
Needs PostgreSQL at KLAREMONT_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from rich.progress import Progress
from sqlalchemy import create_engine

from _common import record, summary
from klaremont.audit.events import Actor, ActorType
from klaremont.clock import ManualClock
from klaremont.config import Environment, Settings
from klaremont.connectors import demo_shop, service
from klaremont.customers.models import CollectionChannel, Customer
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.policy.purposes import LawfulBasis

ADMIN_URL = os.environ.get(
    "KLAREMONT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SHOP_DB, DATA_DB, KEYS_DB = (
    "klaremont_bench_shop",
    "klaremont_bench_conn",
    "klaremont_bench_conn_ks",
)
SHOP_ENV = "BENCH_SHOP_URL"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ACTOR = Actor(ActorType.SYSTEM, "bench")
TARGETS_MS = {"access": 20, "erasure": 35, "masking_erasure": 35, "heavy_access": 150,
              "heavy_erasure": 300, "heavy_masking_erasure": 300}  # fmt: skip
LIGHT_ORDERS, LINES, HEAVY_ORDERS = 5, 3, 2000
HEAVY_BASE = 50_000_000  # heavy customers' order ids start here


def _url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _sa_url(name: str) -> str:
    return "postgresql+psycopg://" + _url(name).split("://", 1)[1]


def recreate(names: tuple[str, ...]) -> None:
    """Fresh, empty databases."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


def drop(names: tuple[str, ...]) -> None:
    """Remove the run's databases."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def email(customer_id: int) -> str:
    """The shop's address of one customer."""
    return f"shopper{customer_id}@example.com"


def _copy(conn: psycopg.Connection[Any], table: str, columns: str, rows: Any) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(str(v) for v in row) + "\n")
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def load_shop(customers: int, heavy: int) -> dict[str, int]:
    """The shop's schema and rows (COPY, indexes and keys as the schema declares)."""
    engine = create_engine(_sa_url(SHOP_DB))
    with engine.begin() as conn:
        demo_shop.create(conn)
    engine.dispose()
    when = "2026-01-05 12:00:00"
    total = customers + heavy
    with psycopg.connect(_url(SHOP_DB)) as conn, Progress() as progress:
        task = progress.add_task("loading the shop", total=total)
        step = 10_000
        for start in range(1, total + 1, step):
            ids = range(start, min(start + step, total + 1))
            _copy(conn, "customers", "id, email, name, phone, password_hash, created_at",
                  ((c, email(c), f"Shopper {c}", f"0113 496 {c % 10000:04d}", "x" * 60, when)
                   for c in ids))  # fmt: skip
            _copy(conn, "addresses", "id, customer_id, line1, town, postcode",
                  ((c, c, f"{c} Shop Street", "Leeds", "LS1 1AA") for c in ids))  # fmt: skip
            _copy(conn, "loyalty", "id, customer_id, points, tier",
                  ((c, c, c % 500, "silver") for c in ids))  # fmt: skip
            orders = [
                (o, c, c, when, f"Shopper {c}", 1999) for c in ids for o in _order_ids(c, customers)
            ]
            _copy(conn, "orders", "id, customer_id, address_id, placed_at, shipping_name, "
                  "total_pence", orders)  # fmt: skip
            _copy(conn, "order_lines", "id, order_id, sku, quantity, price_pence",
                  ((o[0] * 10 + k, o[0], f"SKU{k:03d}", 1, 666)
                   for o in orders for k in range(LINES)))  # fmt: skip
            conn.commit()
            progress.advance(task, len(ids))
        conn.execute("CREATE INDEX shop_customers_lower_email ON customers (lower(email))")
        conn.commit()
    with psycopg.connect(_url(SHOP_DB), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        return {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in ("customers", "addresses", "loyalty", "orders", "order_lines")
        }


def _order_ids(customer_id: int, light: int) -> range:
    if customer_id <= light:
        first = (customer_id - 1) * LIGHT_ORDERS + 1
        return range(first, first + LIGHT_ORDERS)
    first = HEAVY_BASE + (customer_id - light - 1) * HEAVY_ORDERS
    return range(first, first + HEAVY_ORDERS)


@dataclass(frozen=True)
class Request:
    """What the connectors read of an erasure request."""

    id: uuid.UUID
    reference: str


def klaremont_people(
    platform: Platform, customer_ids: list[int], prefix: str = "B"
) -> dict[int, uuid.UUID]:
    """Klaremont customers with the shop's addresses (the identity the connectors match)."""
    people: dict[int, uuid.UUID] = {}
    with platform.unit_of_work(actor=ACTOR) as uow:
        for n, customer_id in enumerate(customer_ids):
            subject = Subject(created_at=NOW, last_activity_at=NOW)
            uow.session.add(subject)
            customer = Customer(subject_id=subject.id, reference=f"{prefix}{n:07d}", created_at=NOW,
                                updated_at=NOW, channel=CollectionChannel.ACCOUNT_CREATION,
                                collected_at=NOW, lawful_basis=LawfulBasis.CONTRACT)  # fmt: skip
            customer.email = email(customer_id)
            uow.session.add(customer)
            people[customer_id] = subject.id
    return people


def declare(folder: Path, *, mask: bool) -> Path:
    """The shop's dataset file (delete or mask)."""
    path = folder / ("shop-mask.toml" if mask else "shop.toml")
    path.write_text(demo_shop.dataset_text("shop", url_env=SHOP_ENV, mask=mask), encoding="utf-8")
    return path


def time_access(platform: Platform, subject_id: uuid.UUID, runs: int) -> tuple[list[float], int]:
    """``external_access`` in a unit of work, ``runs`` times (two warm-ups)."""
    out, rows = [], 0
    for _ in range(runs + 2):
        started = time.perf_counter()
        with platform.unit_of_work(actor=ACTOR) as uow:
            sections = service.external_access(uow, subject_id)
        out.append(time.perf_counter() - started)
        rows = sum(len(t["rows"]) for t in sections[0]["tables"].values())
    return out[2:], rows


def access_sql(customer_id: int) -> list[tuple[str, tuple[Any, ...]]]:
    """The hand-written SELECTs."""
    who = "(SELECT id FROM customers WHERE lower(email) = lower(%s))"
    value = (email(customer_id),)
    return [
        (f"SELECT id, email, name, phone, created_at FROM customers WHERE id IN {who}", value),
        (f"SELECT * FROM addresses WHERE customer_id IN {who}", value),
        (f"SELECT * FROM loyalty WHERE customer_id IN {who}", value),
        (f"SELECT * FROM orders WHERE customer_id IN {who}", value),
        (("SELECT l.* FROM order_lines l JOIN orders o ON o.id = l.order_id "
          f"WHERE o.customer_id IN {who}"), value),
    ]  # fmt: skip


def erase_sql(customer_id: int, *, mask: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """The hand-written DELETEs (or masking UPDATEs), children first."""
    who = "(SELECT id FROM customers WHERE lower(email) = lower(%s))"
    value = (email(customer_id),)
    if mask:
        return [
            (("UPDATE orders SET shipping_name = 'erased', address_id = NULL "
              f"WHERE customer_id IN {who}"), value),
            (f"DELETE FROM loyalty WHERE customer_id IN {who}", value),
            (f"DELETE FROM addresses WHERE customer_id IN {who}", value),
            (("UPDATE customers SET email = NULL, name = NULL, phone = NULL, "
              f"password_hash = NULL WHERE id IN {who}"), value),
        ]  # fmt: skip
    return [
        (("DELETE FROM order_lines WHERE order_id IN (SELECT id FROM orders "
          f"WHERE customer_id IN {who})"), value),
        (f"DELETE FROM orders WHERE customer_id IN {who}", value),
        (f"DELETE FROM loyalty WHERE customer_id IN {who}", value),
        (f"DELETE FROM addresses WHERE customer_id IN {who}", value),
        (f"DELETE FROM customers WHERE id IN {who}", value),
    ]  # fmt: skip


def time_sql(statements: list[list[tuple[str, tuple[Any, ...]]]], *, fetch: bool) -> list[float]:
    """Each statement list in one transaction through psycopg (the first is a warm-up)."""
    out = []
    with psycopg.connect(_url(SHOP_DB)) as conn:
        for batch in statements:
            started = time.perf_counter()
            with conn.transaction():
                for sql, params in batch:
                    cursor = conn.execute(sql, params)
                    if fetch:
                        cursor.fetchall()
            out.append(time.perf_counter() - started)
    return out[1:]


def time_erasure(
    platform: Platform, people: list[uuid.UUID], *, mask_file: Path | None
) -> tuple[list[float], int]:
    """``external_erasure`` per person in its own unit of work (the first is a warm-up)."""
    if mask_file is not None:
        os.environ["KLAREMONT_DATASETS_FILE"] = str(mask_file)
    out, touched = [], 0
    for subject_id in people:
        request = Request(uuid.uuid4(), f"B-{uuid.uuid4().hex[:8].upper()}")
        started = time.perf_counter()
        with platform.unit_of_work(actor=ACTOR) as uow:
            [result] = service.external_erasure(uow, subject_id, request)
        out.append(time.perf_counter() - started)
        if result["state"] != "done":
            raise RuntimeError(f"erasure failed: {result}")
        touched = sum(c["rows"] for c in result["counts"].values())
    return out[1:], touched


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--heavy-runs", type=int, default=5)
    return parser.parse_args()


def main() -> None:  # noqa: PLR0915 - one linear script: load, measure, report
    """Load the shop, measure, print the ratios and record the results."""
    args = _arguments()
    runs, hruns = args.runs, args.heavy_runs
    heavy_count = 4 * (hruns + 1) + 1
    recreate((SHOP_DB, DATA_DB, KEYS_DB))
    started = time.perf_counter()
    totals = load_shop(args.customers, heavy_count)
    load_s = time.perf_counter() - started
    print(f"shop: {totals} in {load_s:.1f} s (COPY)")
    var = Path(tempfile.mkdtemp(prefix="bench-connectors-"))
    os.environ[SHOP_ENV] = _sa_url(SHOP_DB)
    delete_file, mask_file = declare(var, mask=False), declare(var, mask=True)
    os.environ["KLAREMONT_DATASETS_FILE"] = str(delete_file)
    settings = Settings(environment=Environment.TEST, var_dir=var,
                        database_url=_url(DATA_DB), keystore_url=_url(KEYS_DB))  # fmt: skip
    platform = Platform.build(settings, clock=ManualClock(NOW))
    platform.upgrade()
    step = max(1, args.customers // (5 * (runs + 2)))
    light_ids = list(range(7, args.customers + 1, step))[: 5 * (runs + 1) + 1]
    heavy_ids = list(range(args.customers + 1, args.customers + heavy_count + 1))
    people = klaremont_people(platform, light_ids + heavy_ids)
    light = [people[c] for c in light_ids]
    heavy = [people[c] for c in heavy_ids]
    load_before = os.getloadavg()[0]
    measured: dict[str, tuple[list[float], list[float], int]] = {}
    access_s, rows = time_access(platform, light[0], runs)
    base = time_sql([access_sql(light_ids[0])] * (runs + 1), fetch=True)
    measured["access"] = (access_s, base, rows)
    h_access, h_rows = time_access(platform, heavy[0], hruns)
    h_base = time_sql([access_sql(heavy_ids[0])] * (hruns + 1), fetch=True)
    measured["heavy_access"] = (h_access, h_base, h_rows)
    groups = [slice(1 + k * (runs + 1), 1 + (k + 1) * (runs + 1)) for k in range(4)]
    erase_s, deleted = time_erasure(platform, light[groups[0]], mask_file=None)
    base = time_sql([erase_sql(c, mask=False) for c in light_ids[groups[1]]], fetch=False)
    measured["erasure"] = (erase_s, base, deleted)
    hgroups = [slice(1 + k * (hruns + 1), 1 + (k + 1) * (hruns + 1)) for k in range(4)]
    h_erase, h_deleted = time_erasure(platform, heavy[hgroups[0]], mask_file=None)
    h_base = time_sql([erase_sql(c, mask=False) for c in heavy_ids[hgroups[1]]], fetch=False)
    measured["heavy_erasure"] = (h_erase, h_base, h_deleted)
    mask_s, masked = time_erasure(platform, light[groups[2]], mask_file=mask_file)
    base = time_sql([erase_sql(c, mask=True) for c in light_ids[groups[3]]], fetch=False)
    measured["masking_erasure"] = (mask_s, base, masked)
    h_mask, h_masked = time_erasure(platform, heavy[hgroups[2]], mask_file=mask_file)
    h_base = time_sql([erase_sql(c, mask=True) for c in heavy_ids[hgroups[3]]], fetch=False)
    measured["heavy_masking_erasure"] = (h_mask, h_base, h_masked)
    results: dict[str, Any] = {"shop": totals, "load_s": round(load_s, 1),
                               "load_average_before": load_before,
                               "load_average_after": os.getloadavg()[0]}  # fmt: skip
    print(f"{'':24}{'rows':>6}{'p50 ms':>9}{'p99 ms':>9}{'baseline p50':>14}{'ratio':>7}"
          f"{'target':>8}")  # fmt: skip
    for name, (real, base_s, count) in measured.items():
        real_sum, base_sum = summary(real), summary(base_s)
        ratio = real_sum["p50_ms"] / base_sum["p50_ms"]
        target = TARGETS_MS[name]
        verdict = f"{target:>5} {'ok' if real_sum['p50_ms'] <= target else 'MISS'}"
        print(f"{name:24}{count:>6}{real_sum['p50_ms']:9.2f}{real_sum['p99_ms']:9.2f}"
              f"{base_sum['p50_ms']:14.2f}{ratio:7.1f}x {verdict}")  # fmt: skip
        results[name] = {"rows": count, "klaremont": real_sum, "baseline_sql": base_sum,
                         "ratio_p50": round(ratio, 2), "target_ms": target}  # fmt: skip
    print(f"load average (1 min) before/after: {results['load_average_before']:.1f}"
          f"/{results['load_average_after']:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    print(f"results: {record('connectors', results)}")
    service.stores(platform).dispose()
    platform.dispose()
    drop((SHOP_DB, DATA_DB, KEYS_DB))


if __name__ == "__main__":
    main()
