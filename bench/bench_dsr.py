"""Access and erasure of one person in a PostgreSQL store of realistic size, beside plain SQL.

Store: 100 000 customers (one address each), 500 000 orders, 1 500 000 order lines,
150 000 payment cards -- every personal value sealed with the real crypto under its own
subject's data key (keys wrapped by the real key ring into the real keystore), bulk-loaded
with COPY. Measured people: a typical one (1 account, 2 addresses, 5 orders, 15 lines,
1 card: 24 rows over 5 tables) and a heavy one (2 000 orders, 6 000 lines).

* access: ``klaremont.rights.access.collect`` (every subject table, decrypted) plus the JSON
  copy and one audit event, in one unit of work, commit included;
* erasure: ``klaremont.rights.erasure.erase`` on a verified request, commit included (the
  production path: request state, confirmation mail queued, deletes, ledger, audit);
  "+ shred" adds destroying the data key (deferred in production until the confirmation
  mail has gone) in its own unit of work.

Baselines in the same run: the same SELECT (resp. DELETE) statements as plain SQL through
psycopg, in one transaction, without decryption, audit, ledger or ORM. Targets: access
<= 17 ms, erasure <= 30 ms; heavy <= 150 ms / <= 300 ms.

Run: .venv/bin/python bench/bench_dsr.py [--customers N] [--runs N]
Needs PostgreSQL at KLAREMONT_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql

from _common import record, summary
from klaremont.audit.events import Actor, ActorType
from klaremont.clock import ManualClock
from klaremont.config import Environment, Settings
from klaremont.crypto.aead import DATA_KEY_BYTES, DataKey, seal_value
from klaremont.crypto.keystore import _wrap_aad
from klaremont.crypto.keystore_models import SubjectKey
from klaremont.customers.actions import CustomerAction
from klaremont.db.tags import Handling
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.platform import Platform
from klaremont.rights import access, erasure, intake
from klaremont.rights.discovery import SUBJECT_COLUMN, subject_graph
from klaremont.rights.ports import CustomerIdentity
from klaremont.rights.states import RequestKind

ADMIN_URL = os.environ.get(
    "KLAREMONT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DATA_DB, KEYS_DB = "klaremont_bench", "klaremont_bench_ks"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ACTOR = Actor(ActorType.SYSTEM, "bench")
TARGETS_MS = {"access": 17, "erasure": 30, "heavy_access": 150, "heavy_erasure": 300}


def _url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def recreate_databases() -> None:
    """Fresh, empty data and keystore databases."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for name in (DATA_DB, KEYS_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


def stored_customers() -> int:
    """Customers already in the bench database (0 when there is none)."""
    try:
        with psycopg.connect(_url(DATA_DB)) as conn:
            row = conn.execute("SELECT count(*) FROM customers").fetchone()
    except psycopg.Error:
        return 0
    return int(row[0]) if row else 0


@dataclass
class Loader:
    """Builds sealed rows in memory and COPYs them in, table by table."""

    platform: Platform
    rng: random.Random
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    keys: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0

    def _add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def person(
        self, orders: int, lines_per_order: int, cards: int, addresses: int = 1
    ) -> uuid.UUID:
        """One sealed customer with addresses, orders, lines and cards; returns the subject id."""
        self.counter += 1
        n = self.counter
        sid = uuid.uuid4()
        raw = os.urandom(DATA_KEY_BYTES)
        key = DataKey.from_bytes(sid, 1, raw)
        row = SubjectKey(subject_id=sid, version=1, created_at=NOW)
        kek_id, wrapped = self.platform.keyring.wrap(raw, _wrap_aad(row))
        self.keys.append(
            {
                "subject_id": sid,
                "version": 1,
                "kek_id": kek_id,
                "wrapped": wrapped,
                "created_at": NOW,
            }
        )
        index = self.platform.keystore.indexer.index
        common = {"channel": "website_purchase", "collected_at": NOW, "lawful_basis": "contract"}
        self._add("data_subjects", {"id": sid, "created_at": NOW, "last_activity_at": NOW})
        cid = uuid.uuid4()
        email, phone, mobile = (
            f"person{n}@example.com",
            f"0113 496 {n % 10000:04d}",
            f"07700 9{n % 100000:05d}",
        )
        values = {
            "name": f"Person {n}", "date_of_birth": "1980-01-02", "gender": "female",
            "email": email, "phone": phone, "mobile": mobile,
        }  # fmt: skip
        customer = {
            "id": cid, "subject_id": sid, "reference": f"B{n:09d}", "password_hash": None,
            "created_at": NOW, "updated_at": NOW, "closed_at": None,
            "email_bidx": index("email", email), "phone_bidx": index("phone", phone),
            "mobile_bidx": index("phone", mobile), **common,
        }  # fmt: skip
        for column, value in values.items():
            customer[column] = seal_value(key, "customers", column, cid, value.encode())
        self._add("customers", customer)
        address_ids = []
        for kind in ("postal", "delivery")[:addresses]:
            aid = uuid.uuid4()
            address_ids.append(aid)
            address = {"id": aid, "subject_id": sid, "customer_id": cid, "kind": kind,
                       "country": "GB", "line2": None, **common}  # fmt: skip
            for column, value in (
                ("line1", f"{n} High Street"),
                ("town", "Leeds"),
                ("postcode", "LS1 1AA"),
            ):
                address[column] = seal_value(key, "addresses", column, aid, value.encode())
            self._add("addresses", address)
        for number in range(orders):
            oid = uuid.uuid4()
            self._add(
                "orders",
                {"id": oid, "subject_id": sid, "customer_id": cid,
                 "number": f"B{n:08d}{number:05d}",
                 "placed_at": NOW, "status": "delivered", "total_pence": 2400, "currency": "GBP",
                 "delivery_address_id": address_ids[-1], **common},
            )  # fmt: skip
            for position in range(1, lines_per_order + 1):
                self._add(
                    "order_lines",
                    {"id": uuid.uuid4(), "order_id": oid, "position": position, "sku": "KL-TEA-01",
                     "description": "Loose-leaf breakfast tea 250g", "quantity": 1,
                     "unit_price_pence": 650},
                )  # fmt: skip
        for _ in range(cards):
            pid = uuid.uuid4()
            self._add(
                "payment_cards",
                {"id": pid, "subject_id": sid, "customer_id": cid, "provider": "localpay",
                 "brand": "visa", "exp_month": 4, "exp_year": 2029, "last4": "4242",
                 "created_at": NOW, "removed_at": None,
                 "token": seal_value(key, "payment_cards", "token", pid, f"tok_{n}".encode()),
                 **common},
            )  # fmt: skip
        return sid

    def flush(self) -> dict[str, int]:
        """COPY everything built so far; returns rows per table."""
        counts: dict[str, int] = {}
        order = (
            "data_subjects",
            "customers",
            "addresses",
            "orders",
            "order_lines",
            "payment_cards",
        )
        with psycopg.connect(_url(DATA_DB)) as conn, conn.cursor() as cur:
            for table in order:
                rows = self.rows.pop(table, [])
                if not rows:
                    continue
                columns = list(rows[0])
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
                counts[table] = len(rows)
        with psycopg.connect(_url(KEYS_DB)) as conn, conn.cursor() as cur:
            columns = ["subject_id", "version", "kek_id", "wrapped", "created_at"]
            with cur.copy(f"COPY subject_keys ({', '.join(columns)}) FROM STDIN") as copy:
                for row in self.keys:
                    copy.write_row([row[c] for c in columns])
            counts["subject_keys"] = len(self.keys)
            self.keys.clear()
        return counts


def load_store(platform: Platform, customers: int) -> dict[str, int]:
    """The big store: 5 orders of 3 lines each, one address, 1.5 cards per customer."""
    loader = Loader(platform, random.Random(7))
    totals: dict[str, int] = {}
    batch = 10_000
    started = time.perf_counter()
    for start in range(0, customers, batch):
        for i in range(start, min(customers, start + batch)):
            loader.person(orders=5, lines_per_order=3, cards=2 if i % 2 else 1)
        for table, count in loader.flush().items():
            totals[table] = totals.get(table, 0) + count
        print(
            f"  loaded {min(customers, start + batch):>7} customers "
            f"({time.perf_counter() - started:5.1f} s)",
            end="\r",
        )
    print()
    with psycopg.connect(_url(DATA_DB), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return totals


def samples(platform: Platform, count: int, *, heavy: bool) -> list[uuid.UUID]:
    """People of the measured shapes."""
    base = 10_000_000 + (5_000_000 if heavy else 0) + int(time.time()) % 1_000_000 * 4
    loader = Loader(platform, random.Random(11), counter=base)
    people = [
        loader.person(orders=2000, lines_per_order=3, cards=1, addresses=2)
        if heavy
        else loader.person(orders=5, lines_per_order=3, cards=1, addresses=2)
        for _ in range(count)
    ]
    loader.flush()
    return people


def _sql(statement: Any) -> tuple[str, dict[str, Any]]:
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())
    return str(compiled), dict(compiled.params)


def read_statements(subject_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    """The SELECTs the access copy runs, as plain SQL."""
    graph = subject_graph()
    return [
        _sql(graph.rows(n.name, subject_id)) for n in graph if n.handling is not Handling.INTERNAL
    ]


def delete_statements(subject_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    """The DELETEs erasure runs (nothing held), as plain SQL, children first."""
    graph = subject_graph()
    out = []
    for name in graph.delete_order:
        node = graph.tables[name]
        if node.handling not in {Handling.DEFAULT, Handling.INTERNAL}:
            continue
        if node.direct:
            statement = delete(node.table).where(node.table.c[SUBJECT_COLUMN] == subject_id)
        else:
            reached = [link.column.in_(graph.ids(link.parent, subject_id)) for link in node.links]
            statement = delete(node.table).where(or_(*reached))
        out.append(_sql(statement))
    return out


def explain_uses_indexes(subject_id: uuid.UUID) -> list[str]:
    """Seq scans on the big tables in the access and erasure plans (should be none)."""
    big = ("customers", "addresses", "orders", "order_lines", "payment_cards")
    problems = []
    with psycopg.connect(_url(DATA_DB)) as conn:
        for sql, params in read_statements(subject_id):
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))
            problems += [f"{t}: {sql[:60]}" for t in big if f"Seq Scan on {t} " in plan + " "]
    return problems


def unindexed_foreign_keys() -> list[tuple[str, str]]:
    """Foreign keys among subject tables with no index leading on them (slow erasure FK checks)."""
    graph = subject_graph()
    missing = []
    for node in graph.tables.values():
        for link in node.links:
            leading = {
                next(iter(index.columns)).name for index in node.table.indexes if index.columns
            } | {
                next(iter(c.columns)).name
                for c in node.table.constraints
                if getattr(c, "columns", None) and c.__class__.__name__ == "UniqueConstraint"
            }
            if link.column.name not in leading:
                missing.append((node.name, link.column.name))
    return missing


def add_indexes(missing: list[tuple[str, str]], *, drop: bool = False) -> None:
    """Create (or, as shipped, drop) the indexes the schema lacks; the owners are asked for them."""
    with psycopg.connect(_url(DATA_DB), autocommit=True) as conn:
        for table, column in missing:
            name = f"bench_ix_{table}_{column}"
            if drop:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            else:
                conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})")


def time_access(platform: Platform, subject_id: uuid.UUID, runs: int) -> tuple[list[float], int]:
    """The real access copy, `runs` times."""
    samples_s, rows = [], 0
    for _ in range(runs + 2):
        started = time.perf_counter()
        with platform.unit_of_work(actor=ACTOR) as uow:
            copy = access.collect(uow, subject_id)
            copy.to_json()
            uow.audit(CustomerAction.PERSONAL_DATA_READ, resource=f"subject:{subject_id}",
                      purpose="legal_obligation", details={"rows": copy.row_count()})  # fmt: skip
        samples_s.append(time.perf_counter() - started)
        rows = copy.row_count()
    return samples_s[2:], rows


def time_access_baseline(subject_id: uuid.UUID, runs: int) -> list[float]:
    """The same SELECTs through psycopg, nothing decrypted or audited."""
    statements = read_statements(subject_id)
    out = []
    with psycopg.connect(_url(DATA_DB)) as conn:
        for _ in range(runs + 2):
            started = time.perf_counter()
            with conn.transaction():
                for sql, params in statements:
                    conn.execute(sql, params).fetchall()
            out.append(time.perf_counter() - started)
    return out[2:]


def verified_erasure(platform: Platform, subject_id: uuid.UUID) -> uuid.UUID:
    """A verified erasure request for the person (set up outside the timing)."""
    with platform.unit_of_work(actor=ACTOR) as uow:
        from klaremont.customers.models import Customer  # noqa: PLC0415

        customer_id = uow.session.scalars(
            select(Customer.id).where(Customer.subject_id == subject_id)
        ).one()
        return intake.submit_signed_in(
            uow, CustomerIdentity(subject_id, customer_id), RequestKind.ERASURE
        ).id


def time_erasure(
    platform: Platform, people: list[uuid.UUID]
) -> tuple[list[float], list[float], int]:
    """erase() per person; then the deferred shred. Returns (erase, erase+shred, rows deleted)."""
    erase_s, shred_s, deleted = [], [], 0
    for subject_id in people:
        request_id = verified_erasure(platform, subject_id)
        started = time.perf_counter()
        with platform.unit_of_work(actor=ACTOR) as uow:
            reply = erasure.erase(uow, request_id)
        erased = time.perf_counter() - started
        with platform.unit_of_work(actor=ACTOR) as uow:
            for message in uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.subject_id == subject_id)
            ):
                message.status = MailStatus.SENT
        started = time.perf_counter()
        with platform.unit_of_work(actor=ACTOR) as uow:
            if erasure.shred_due(uow) != [subject_id]:
                raise RuntimeError("the deferred shred did not run")
        erase_s.append(erased)
        shred_s.append(erased + time.perf_counter() - started)
        deleted = sum(reply.deleted.values())
    return erase_s[1:], shred_s[1:], deleted


def time_erasure_baseline(people: list[uuid.UUID]) -> list[float]:
    """The same DELETEs through psycopg in one transaction."""
    out = []
    with psycopg.connect(_url(DATA_DB)) as conn:
        for subject_id in people:
            statements = delete_statements(subject_id)
            started = time.perf_counter()
            with conn.transaction():
                for sql, params in statements:
                    conn.execute(sql, params)
            out.append(time.perf_counter() - started)
    return out[1:]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--heavy-runs", type=int, default=5)
    parser.add_argument(
        "--as-shipped",
        action="store_true",
        help="do not add the foreign-key indexes the schema lacks",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure on the store a previous run left (skips the load when it is there)",
    )
    return parser.parse_args()


def _prepare(args: argparse.Namespace) -> tuple[Platform, dict[str, Any]]:
    """The platform on a loaded store, and what the results file says about the store."""
    existing = stored_customers() if args.reuse else 0
    if existing < args.customers:
        recreate_databases()
    var = Path(tempfile.mkdtemp(prefix="bench-dsr-"))
    settings = Settings(environment=Environment.TEST, var_dir=var,
                        database_url=_url(DATA_DB), keystore_url=_url(KEYS_DB))  # fmt: skip
    platform = Platform.build(settings, clock=ManualClock(NOW))
    platform.upgrade()
    started = time.perf_counter()
    if existing >= args.customers:
        totals: dict[str, int] = {"customers": existing, "reused": 1}
    else:
        totals = load_store(platform, args.customers)
    load_s = time.perf_counter() - started
    print(f"store: {totals} in {load_s:.1f} s (real sealing, COPY)")
    missing = unindexed_foreign_keys()
    if missing:
        add_indexes(missing, drop=args.as_shipped)
    note = "added by the bench" if missing and not args.as_shipped else "left as shipped"
    print(f"foreign keys without an index (erasure FK checks scan): {missing or 'none'} ({note})")
    return platform, {
        "store": totals,
        "load_s": round(load_s, 1),
        "unindexed_foreign_keys": [f"{t}.{c}" for t, c in missing],
        "indexes_added_by_bench": bool(missing) and not args.as_shipped,
    }


Measured = dict[str, tuple[list[float], list[float], int]]


def _measure(platform: Platform, args: argparse.Namespace, results: dict[str, Any]) -> Measured:
    runs, hruns = args.runs, args.heavy_runs
    light = samples(platform, 1 + 2 * (runs + 1), heavy=False)
    heavy = samples(platform, 1 + 2 * (hruns + 1), heavy=True)
    with psycopg.connect(_url(DATA_DB), autocommit=True) as conn:
        conn.execute("ANALYZE")
    seq_scans = explain_uses_indexes(light[0]) + explain_uses_indexes(heavy[0])
    results["seq_scans"] = seq_scans
    print("index use: " + ("every big-table read uses an index" if not seq_scans
                           else f"SEQ SCANS: {seq_scans}"))  # fmt: skip
    access_s, rows = time_access(platform, light[0], runs)
    heavy_access_s, heavy_rows = time_access(platform, heavy[0], hruns)
    measured: Measured = {
        "access": (access_s, time_access_baseline(light[0], runs), rows),
        "heavy_access": (heavy_access_s, time_access_baseline(heavy[0], hruns), heavy_rows),
    }
    erase_s, shred_s, deleted = time_erasure(platform, light[1 : runs + 2])
    base_s = time_erasure_baseline(light[runs + 2 :])
    measured["erasure"] = (erase_s, base_s, deleted)
    measured["erasure_plus_shred"] = (shred_s, base_s, deleted)
    h_erase, h_shred, h_deleted = time_erasure(platform, heavy[1 : hruns + 2])
    h_base = time_erasure_baseline(heavy[hruns + 2 :])
    measured["heavy_erasure"] = (h_erase, h_base, h_deleted)
    measured["heavy_erasure_plus_shred"] = (h_shred, h_base, h_deleted)
    return measured


def main() -> None:
    """Build the store, measure, print the ratios and record the results."""
    args = _arguments()
    platform, results = _prepare(args)
    results["load_average_before"] = os.getloadavg()[0]
    measured = _measure(platform, args, results)
    results["load_average_after"] = os.getloadavg()[0]
    print(f"{'':26}{'rows':>6}{'p50 ms':>9}{'p99 ms':>9}{'baseline p50':>14}{'ratio':>7}"
          f"{'target':>8}")  # fmt: skip
    for name, (real, base, count) in measured.items():
        real_sum, base_sum = summary(real), summary(base)
        ratio = real_sum["p50_ms"] / base_sum["p50_ms"]
        target = TARGETS_MS.get(name.removesuffix("_plus_shred"))
        verdict = (
            ""
            if target is None
            else f"{target:>5} {'ok' if real_sum['p50_ms'] <= target else 'MISS'}"
        )
        print(f"{name:26}{count:>6}{real_sum['p50_ms']:9.2f}{real_sum['p99_ms']:9.2f}"
              f"{base_sum['p50_ms']:14.2f}{ratio:7.1f}x {verdict}")  # fmt: skip
        results[name] = {"rows": count, "klaremont": real_sum, "baseline_sql": base_sum,
                         "ratio_p50": round(ratio, 2), "target_ms": target}  # fmt: skip
    print(f"load average (1 min) before/after: {results['load_average_before']:.1f}"
          f"/{results['load_average_after']:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    print(f"results: {record('dsr_as_shipped' if args.as_shipped else 'dsr', results)}")
    platform.dispose()


if __name__ == "__main__":
    main()
