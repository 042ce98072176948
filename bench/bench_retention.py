"""Retention purge of ~1,000,000 due rows against plain SQL doing the same to the same rows.

Store (per backend, seeded once into a template with Core bulk inserts, then copied for
every measured run: SQLite by copying the var directory, PostgreSQL with ``CREATE DATABASE
... TEMPLATE``): ``--customers`` people (default 100,000), each with a data subject, a
customer account (six sealed fields, three blind indexes, a password hash), two addresses,
one or two saved cards, a resolved query, three orders of two lines and two invoices; the
sealed columns hold random bytes of the size real ciphertext has; every person has a data
key wrapped by the real key ring in the keystore. 90 % are dormant (last activity 7-9
years ago: everything of theirs is due under the shipped policy), 5 % lapsed (4 years: the
account's fields, addresses, cards and queries are due, orders and invoices not), 5 %
active (nothing due). 0.3 % of the dormant are held (two in three by a litigation hold,
one in three by an open access request): nothing of theirs may change.

* ours: ``klaremont.retention.engine.run`` at its default batch size on a platform built
  on the copy: per target, batches of one transaction each (rows, ledger line fsynced,
  audit event, shred queue, run record), then the data keys of people with nothing sealed
  left destroyed in the keystore. Wall time from ``Platform.build`` to ``dispose``.
* baseline: the same rows in plain SQL on the same engine settings: one transaction of
  one ``UPDATE ... SET col = NULL`` / ``UPDATE`` (orders: anonymised) / ``DELETE ... WHERE``
  per target with the same due condition, held people left out with a ``NOT IN``
  subquery on the hold tables; then one keystore transaction destroying the keys of the
  people with no sealed row left. No ledger, audit, batches or progress.

Both end states are fingerprinted (ids and cleared fields per table, destroyed keys) and
must be equal; each pair runs ``--runs`` times (alternating which goes first); the median
and range are printed with the ratio. Target: ours <= 3x the baseline.

Run: .venv/bin/python bench/bench_retention.py [--customers 100000] [--runs 3]
     [--backend both|sqlite|postgresql] [--profile]
Needs PostgreSQL at KLAREMONT_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
for the PostgreSQL half.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import (
    and_,
    exists,
    insert,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy.sql.functions import coalesce

from _common import record
from _stores import PG_ADMIN_URL, Backend, Copy, backend_for, pg_available, settings_for
from klaremont.clock import ManualClock
from klaremont.crypto.aead import DATA_KEY_BYTES, HEADER_BYTES, NONCE_BYTES, TAG_BYTES
from klaremont.crypto.keystore import _wrap_aad
from klaremont.crypto.keystore_models import SubjectKey
from klaremont.customers.models import (
    Address,
    ContactRecord,
    Customer,
    Invoice,
    Order,
    OrderLine,
    PaymentCard,
)
from klaremont.db.engine import make_engine
from klaremont.db.subjects import NOBODY, Subject
from klaremont.platform import Platform
from klaremont.retention import engine as retention
from klaremont.retention.models import LitigationHold
from klaremont.retention.selection import plans
from klaremont.retention.shred import REASON as SHRED_REASON
from klaremont.retention_targets import all_targets
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import OPEN

PREFIX = f"bench_retention_{os.getpid()}"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
YEAR = timedelta(days=365)
SEALED_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
TARGET_RATIO = 3.0
FLUSH_EVERY = 5000  # people per bulk insert
console = Console()

S, C, A = Subject.__table__, Customer.__table__, Address.__table__
ORD, L, INV = Order.__table__, OrderLine.__table__, Invoice.__table__
CARD, CONTACT = PaymentCard.__table__, ContactRecord.__table__
HOLD, DSR, KEYS = LitigationHold.__table__, RightsRequest.__table__, SubjectKey.__table__
IDENTITY = ("name", "date_of_birth", "gender")
CONTACT_FIELDS = ("email", "email_bidx", "phone", "phone_bidx", "mobile", "mobile_bidx")


# ---------------------------------------------------------------- seeding


@dataclass
class Seeder:
    """Builds rows in memory and bulk-inserts them (Core ``insert`` executemany)."""

    platform: Platform
    rng: random.Random
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    keys: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def sealed(self, plaintext_bytes: int) -> bytes:
        """Random bytes as long as real ciphertext of a value this long."""
        return self.rng.randbytes(SEALED_OVERHEAD + plaintext_bytes)

    def bidx(self) -> str:
        return self.rng.randbytes(32).hex()

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def person(self, cohort: str) -> tuple[uuid.UUID, uuid.UUID, str]:
        """One person of ``cohort`` (dormant, lapsed, active) with everything they own."""
        self.count += 1
        n, rng = self.count, self.rng
        back = {"dormant": 7 * YEAR + rng.random() * 2 * YEAR,
                "lapsed": 4 * YEAR + rng.random() * 150 * DAY,
                "active": 30 * DAY + rng.random() * 300 * DAY}[cohort]  # fmt: skip
        last = NOW - back
        created = last - 3 * YEAR
        sid, cid = self.uid(), self.uid()
        common = {"channel": "website_purchase", "collected_at": created}
        common["lawful_basis"] = "contract"
        objection = created + 10 * DAY if rng.random() < 0.2 else None
        self.add("data_subjects", {"id": sid, "created_at": created, "last_activity_at": last,
                                   "marketing_objection_at": objection, "restricted_at": None,
                                   "restriction_reason": None, "erased_at": None})  # fmt: skip
        closed = last + DAY if rng.random() < 0.2 else None
        reference = f"C{n:09d}"
        self.add("customers", {
            "id": cid, "subject_id": sid, "reference": reference,
            "name": self.sealed(14), "date_of_birth": self.sealed(10), "gender": self.sealed(6),
            "email": self.sealed(24), "email_bidx": self.bidx(), "phone": self.sealed(13),
            "phone_bidx": self.bidx(), "mobile": self.sealed(13), "mobile_bidx": self.bidx(),
            "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$" + rng.randbytes(48).hex()[:65],
            "created_at": created, "updated_at": last, "closed_at": closed, **common,
        })  # fmt: skip
        address_ids = []
        for kind in ("postal", "delivery"):
            aid = self.uid()
            address_ids.append(aid)
            self.add("addresses", {
                "id": aid, "subject_id": sid, "customer_id": cid, "kind": kind, "country": "GB",
                "line1": self.sealed(18), "line2": None, "town": self.sealed(8),
                "postcode": self.sealed(8), **common,
            })  # fmt: skip
        for number in range(3):
            oid = self.uid()
            placed = created + (last - created) * (number + 1) / 3
            self.add("orders", {
                "id": oid, "subject_id": sid, "customer_id": cid, "number": f"O{n:09d}{number}",
                "placed_at": placed, "status": "delivered", "total_pence": 2400,
                "currency": "GBP", "delivery_address_id": address_ids[1], **common,
            })  # fmt: skip
            for position in (1, 2):
                self.add("order_lines", {
                    "id": self.uid(), "order_id": oid, "position": position, "sku": "KL-TEA-01",
                    "description": "Loose-leaf breakfast tea 250g", "quantity": 1,
                    "unit_price_pence": 1200,
                })  # fmt: skip
            if number < 2:
                self.add("invoices", {
                    "id": self.uid(), "subject_id": sid, "order_id": oid,
                    "number": f"I{n:09d}{number}", "issued_at": placed + timedelta(hours=1),
                    "net_pence": 2000, "vat_pence": 400, "billing_name": self.sealed(14),
                    "billing_address": self.sealed(50), **common,
                })  # fmt: skip
        for _ in range(1 + n % 2):
            self.add("payment_cards", {
                "id": self.uid(), "subject_id": sid, "customer_id": cid, "provider": "localpay",
                "brand": "visa", "exp_month": 4, "exp_year": 2029, "last4": "4242",
                "created_at": created, "removed_at": None, "token": self.sealed(28), **common,
            })  # fmt: skip
        self.add("contact_records", {
            "id": self.uid(), "subject_id": sid, "customer_id": cid, "kind": "query",
            "received_at": last - 10 * DAY, "resolved_at": last - 5 * DAY,
            "summary": self.sealed(200), **common,
        })  # fmt: skip
        raw = self.rng.randbytes(DATA_KEY_BYTES)
        kek_id, wrapped = self.platform.keyring.wrap(
            raw, _wrap_aad(SubjectKey(subject_id=sid, version=1))
        )
        self.keys.append({"subject_id": sid, "version": 1, "kek_id": kek_id, "wrapped": wrapped,
                          "created_at": created, "destroyed_at": None,
                          "destroyed_reason": None})  # fmt: skip
        return sid, cid, reference

    def hold(self, sid: uuid.UUID, cid: uuid.UUID, reference: str, number: int) -> None:
        """A litigation hold (two in three) or an open access request on a dormant person."""
        if number % 3:
            self.add("retention_holds", {
                "id": self.uid(), "reference": f"LH-2026-{number:04d}", "subject_id": sid,
                "customer_reference": reference, "reason": "a claim about a 2018 order",
                "placed_by": "dpo", "placed_at": NOW - 30 * DAY, "lifted_by": None,
                "lifted_at": None, "lift_reason": None,
            })  # fmt: skip
            return
        received = NOW - 5 * DAY
        self.add("dsr_requests", {
            "id": self.uid(), "subject_id": sid, "customer_id": cid,
            "reference": f"R-2026-{number:05d}", "kind": "access", "scope": None,
            "state": "received", "open_key": "access", "channel": "email",
            "received_at": received, "received_on": received.date(), "identity_method": None,
            "verified_at": None, "pause_started_at": None, "paused_days": 0,
            "clock_stopped_at": None, "stopped_days": 0, "original_due_on": date(2026, 4, 2),
            "due_on": date(2026, 4, 2), "extension_months": 0, "extension_notified_at": None,
            "closed_at": None, "outcome": None, "routed_to": "dpo", "created_by": "bench",
            "extension_reason": None, "refusal_reason": None, "details": None,
            "updated_at": received,
        })  # fmt: skip

    def flush(self) -> None:
        tables = {t.name: t for t in (S, C, A, ORD, L, INV, CARD, CONTACT, HOLD, DSR)}
        with self.platform.engine.begin() as conn:
            for name, table in tables.items():
                rows = self.rows.pop(name, [])
                if rows:
                    conn.execute(insert(table), rows)
                    self.totals[name] = self.totals.get(name, 0) + len(rows)
        with self.platform.keystore_engine.begin() as conn:
            conn.execute(insert(KEYS), self.keys)
            self.totals["subject_keys"] = self.totals.get("subject_keys", 0) + len(self.keys)
            self.keys.clear()


def cohorts(customers: int) -> list[str]:
    """Who is who: 90 % dormant, 5 % lapsed, 5 % active, shuffled deterministically."""
    lapsed = active = customers // 20
    people = ["dormant"] * (customers - lapsed - active) + ["lapsed"] * lapsed + ["active"] * active
    random.Random(3).shuffle(people)
    return people


def seed(platform: Platform, customers: int) -> tuple[dict[str, int], float]:
    """Fill an empty, migrated store; the row counts and the seconds it took."""
    seeder = Seeder(platform, random.Random(7))
    held_wanted = max(3, customers * 3 // 1000)
    held = 0
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("seeding customers", total=customers)
        for i, cohort in enumerate(cohorts(customers), 1):
            sid, cid, reference = seeder.person(cohort)
            if cohort == "dormant" and held < held_wanted and i % 97 == 0:
                held += 1
                seeder.hold(sid, cid, reference, held)
            if i % FLUSH_EVERY == 0 or i == customers:
                seeder.flush()
                progress.update(task, completed=i)
    return seeder.totals, time.perf_counter() - started


def key_creation_rate(platform: Platform, count: int = 200) -> float:
    """Seconds per ``Keystore.create_subject_key`` (why the seed inserts wrapped keys in bulk)."""
    ids = [uuid.uuid4() for _ in range(count)]
    started = time.perf_counter()
    for subject_id in ids:
        platform.keystore.create_subject_key(subject_id)
    elapsed = (time.perf_counter() - started) / count
    with platform.keystore_engine.begin() as conn:
        conn.execute(sql_delete(KEYS).where(KEYS.c.subject_id.in_(ids)))
    return elapsed


# ---------------------------------------------------------------- the two contenders


def cutoffs(platform: Platform) -> dict[str, datetime]:
    """Each target's cutoff under the shipped policy (and the invoices' legal one)."""
    found, _ = plans(platform.policy, NOW, all_targets())
    out = {plan.target.name: plan.cutoff for plan in found}
    for plan in found:
        if plan.legal_cutoff is not None:
            out[plan.target.name + ".legal"] = plan.legal_cutoff
    return out


def baseline_statements(cut: dict[str, datetime]) -> list[tuple[str, Any]]:
    """The plain SQL: one statement per target, in the engine's order, same due condition."""
    held = union(
        select(HOLD.c.subject_id).where(HOLD.c.lifted_at.is_(None)),
        select(DSR.c.subject_id).where(DSR.c.state.in_([s.value for s in OPEN])),
    )
    activity = coalesce(S.c.last_activity_at, S.c.created_at)

    def dormant(key: str) -> Any:
        return select(S.c.id).where(activity <= cut[key])

    def cleared(table: Any, names: tuple[str, ...]) -> Any:
        return or_(*(table.c[n].is_not(None) for n in names))

    def person(table: Any, key: str) -> Any:
        return and_(table.c.subject_id.in_(dormant(key)), table.c.subject_id.not_in(held))

    due_addresses = select(A.c.id).where(person(A, "customers.addresses"))
    return [
        ("customers.identity", update(C).where(person(C, "customers.identity"),
         cleared(C, IDENTITY)).values(dict.fromkeys(IDENTITY))),
        ("customers.contact", update(C).where(person(C, "customers.contact"),
         cleared(C, CONTACT_FIELDS)).values(dict.fromkeys(CONTACT_FIELDS))),
        ("customers.password", update(C).where(
            C.c.closed_at <= cut["customers.password"], C.c.password_hash.is_not(None),
            C.c.subject_id.not_in(held)).values(password_hash=None)),
        ("customers.payment_cards",
         sql_delete(CARD).where(person(CARD, "customers.payment_cards"))),
        ("customers.support_contacts", sql_delete(CONTACT).where(
            CONTACT.c.resolved_at <= cut["customers.support_contacts"],
            CONTACT.c.subject_id.not_in(held))),
        ("customers.invoices", sql_delete(INV).where(
            INV.c.issued_at <= cut["customers.invoices"],
            INV.c.issued_at <= cut["customers.invoices.legal"], INV.c.subject_id.not_in(held))),
        ("customers.orders", update(ORD).where(
            ORD.c.placed_at <= cut["customers.orders"], ORD.c.subject_id != NOBODY,
            ~exists().where(INV.c.order_id == ORD.c.id), ORD.c.subject_id.not_in(held),
        ).values(subject_id=NOBODY, customer_id=None, delivery_address_id=None)),
        ("(orders' delivery addresses)", update(ORD).where(
            ORD.c.delivery_address_id.in_(due_addresses)).values(delivery_address_id=None)),
        ("customers.addresses", sql_delete(A).where(person(A, "customers.addresses"))),
        ("customers.marketing_objection", update(S).where(
            activity <= cut["customers.marketing_objection"], S.c.id != NOBODY,
            S.c.marketing_objection_at.is_not(None), S.c.id.not_in(held),
        ).values(marketing_objection_at=None)),
    ]  # fmt: skip


def keyless_people() -> Any:
    """People with no sealed value left and no hold: their data keys can go."""
    held = union(
        select(HOLD.c.subject_id).where(HOLD.c.lifted_at.is_(None)),
        select(DSR.c.subject_id).where(DSR.c.state.in_([s.value for s in OPEN])),
    )
    sealed_left = union(
        select(C.c.subject_id).where(
            or_(*(C.c[n].is_not(None) for n in (*IDENTITY, "email", "phone", "mobile")))
        ),
        select(A.c.subject_id),
        select(CARD.c.subject_id),
        select(CONTACT.c.subject_id),
        select(INV.c.subject_id),
        select(DSR.c.subject_id),
    )
    return select(S.c.id).where(S.c.id != NOBODY, S.c.id.not_in(held), S.c.id.not_in(sealed_left))


def run_baseline(
    copy: Copy, cut: dict[str, datetime], *, secure_delete: bool = False
) -> tuple[float, dict[str, Any]]:
    """Plain SQL on the copy; wall seconds and what it did."""
    started = time.perf_counter()
    data, keys = make_engine(copy.database_url), make_engine(copy.keystore_url)
    counts: dict[str, int] = {}
    with data.begin() as conn:
        if secure_delete and copy.database_url.startswith("sqlite"):
            conn.execute(text("PRAGMA secure_delete = ON"))  # as the engine does on SQLite
        if conn.execute(select(S.c.id).where(S.c.id == NOBODY)).first() is None:
            conn.execute(insert(S).values(id=NOBODY, created_at=NOW, restricted_at=NOW,
                                          erased_at=NOW))  # fmt: skip
        for name, statement in baseline_statements(cut):
            counts[name] = conn.execute(statement).rowcount
        free = list(conn.scalars(keyless_people()))
    data_s = time.perf_counter() - started
    destroyed = 0
    with keys.begin() as conn:
        for start in range(0, len(free), 5000):
            chunk = free[start : start + 5000]
            destroyed += conn.execute(
                update(KEYS)
                .where(KEYS.c.subject_id.in_(chunk), KEYS.c.wrapped.is_not(None))
                .values(wrapped=None, destroyed_at=NOW, destroyed_reason=SHRED_REASON[:64])
            ).rowcount
    data.dispose()
    keys.dispose()
    total = time.perf_counter() - started
    return total, {"rows": counts, "keys_destroyed": destroyed, "data_s": round(data_s, 2),
                   "keys_s": round(total - data_s, 2)}  # fmt: skip


class Phases:
    """Wall time between the engine's progress reports, by target (a batch's cost lands on
    its target; the count before the first batch and the holds' count after the last land
    on the next report)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}
        self.seconds: dict[str, float] = {}
        self.batches: dict[str, int] = {}
        self.mark = time.perf_counter()

    def __call__(self, description: str, done: int, total: int | None) -> None:
        now = time.perf_counter()
        self.seconds[description] = self.seconds.get(description, 0.0) + now - self.mark
        self.batches[description] = self.batches.get(description, 0) + 1
        self.mark = now
        if self.progress is None:
            return
        if description not in self.tasks:
            self.tasks[description] = self.progress.add_task(description, total=total)
        self.progress.update(self.tasks[description], completed=done, total=total)


def run_ours(
    copy: Copy, *, profile: cProfile.Profile | None = None
) -> tuple[float, dict[str, Any]]:
    """``retention.engine.run`` on the copy; wall seconds and its report."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as progress:
        phases = Phases(progress)
        started = time.perf_counter()
        platform = Platform.build(settings_for(copy.var, copy.database_url, copy.keystore_url),
                                  clock=ManualClock(NOW))  # fmt: skip
        if profile is not None:
            profile.enable()
        report = retention.run(platform, progress=phases)
        phases("(shred phase and finish)", 0, 0)
        platform.dispose()
        if profile is not None:
            profile.disable()
        total = time.perf_counter() - started
    return total, {
        "rows": {p.target: p.done for p in report.plans},
        "kept": {p.target: sum(p.kept.values()) for p in report.plans if p.kept},
        "keys_destroyed": report.keys_destroyed,
        "batches": report.batches,
        "seconds_by_phase": {k: round(v, 2) for k, v in phases.seconds.items()},
        "batches_by_phase": phases.batches,
    }


# ---------------------------------------------------------------- checking the end states


def fingerprint(copy: Copy) -> dict[str, tuple[int, str]]:
    """Per aspect of the end state: how many rows and a digest of them."""
    queries: dict[str, Any] = {
        "data_subjects": select(S.c.id),
        "subjects with an objection": select(S.c.id).where(S.c.marketing_objection_at.is_not(None)),
        "customers": select(C.c.id),
        "customers with a name": select(C.c.id).where(C.c.name.is_not(None)),
        "customers with an e-mail": select(C.c.id).where(C.c.email_bidx.is_not(None)),
        "customers with a password": select(C.c.id).where(C.c.password_hash.is_not(None)),
        "addresses": select(A.c.id),
        "payment_cards": select(CARD.c.id),
        "contact_records": select(CONTACT.c.id),
        "invoices": select(INV.c.id),
        "orders": select(ORD.c.id, ORD.c.subject_id, ORD.c.customer_id, ORD.c.delivery_address_id),
        "order_lines": select(L.c.id),
    }
    out: dict[str, tuple[int, str]] = {}
    engines = {"data": make_engine(copy.database_url), "keys": make_engine(copy.keystore_url)}
    with engines["data"].connect() as conn:
        for name, query in queries.items():
            out[name] = _digest(conn.execute(query).all())
    with engines["keys"].connect() as conn:
        out["live data keys"] = _digest(
            conn.execute(select(KEYS.c.subject_id).where(KEYS.c.wrapped.is_not(None))).all()
        )
    for engine in engines.values():
        engine.dispose()
    return out


def _digest(rows: list[Any]) -> tuple[int, str]:
    lines = sorted("|".join(str(v) for v in row) for row in rows)
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- driving


def _range(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} s ({min(values):.1f}-{max(values):.1f})"


def prepare(backend: Backend, customers: int) -> tuple[dict[str, Any], dict[str, datetime]]:
    """Seed the template; what the results file says about the store, and the cutoffs."""
    template = backend.template()
    platform = Platform.build(
        settings_for(template.var, template.database_url, template.keystore_url),
        clock=ManualClock(NOW),
    )
    platform.upgrade()
    per_key = key_creation_rate(platform)
    totals, seed_s = seed(platform, customers)
    cut = cutoffs(platform)
    platform.dispose()
    backend.seal_template()
    console.print(
        f"[bold]{backend.name}[/bold]: seeded {sum(totals.values()):,} rows in {seed_s:.1f} s "
        f"{totals}; Keystore.create_subject_key: {per_key * 1000:.2f} ms per key "
        f"(~{per_key * customers:.0f} s for {customers:,}: keys inserted wrapped, in bulk)"
    )
    return {"store": totals, "seed_s": round(seed_s, 1),
            "create_subject_key_ms": round(per_key * 1000, 2)}, cut  # fmt: skip


def measure(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, then ``args.runs`` alternating pairs; the figures for the results file."""
    results, cut = prepare(backend, args.customers)
    ours_s: list[float] = []
    base_s: list[float] = []
    details: list[dict[str, Any]] = []
    for run in range(args.runs):
        order = ("baseline", "ours") if run % 2 == 0 else ("ours", "baseline")
        prints: dict[str, dict[str, tuple[int, str]]] = {}
        pair: dict[str, Any] = {"order": order}
        for who in order:
            copy = backend.copy()
            if who == "ours":
                profile = cProfile.Profile() if args.profile and run == 0 else None
                seconds, info = run_ours(copy, profile=profile)
                ours_s.append(seconds)
                if profile is not None:
                    pair["profile"] = _profile_text(profile)
            else:
                seconds, info = run_baseline(copy, cut, secure_delete=args.secure_delete)
                base_s.append(seconds)
            prints[who] = fingerprint(copy)
            backend.drop(copy)
            pair[who] = {"seconds": round(seconds, 2), **info}
            console.print(f"  run {run + 1} {who:8} {seconds:7.1f} s")
        differ = [k for k in prints["ours"] if prints["ours"][k] != prints["baseline"][k]]
        pair["end_states_equal"] = not differ
        pair["end_state"] = {k: v[0] for k, v in prints["ours"].items()}
        if differ:
            console.print(f"  [red]END STATES DIFFER[/red]: {differ}")
            for k in differ:
                console.print(f"    {k}: ours {prints['ours'][k]} baseline {prints['baseline'][k]}")
        details.append(pair)
    _report(backend.name, details, ours_s, base_s)
    ratios = [o / b for o, b in zip(ours_s, base_s, strict=True)]
    return {**results, "runs": details,
            "ours_s": {"median": round(statistics.median(ours_s), 2), "min": round(min(ours_s), 2),
                       "max": round(max(ours_s), 2)},
            "baseline_s": {"median": round(statistics.median(base_s), 2),
                           "min": round(min(base_s), 2), "max": round(max(base_s), 2)},
            "ratio_of_medians": round(statistics.median(ours_s) / statistics.median(base_s), 2),
            "ratio_per_pair": [round(r, 2) for r in ratios],
            "rows_due": _due(details[0])}  # fmt: skip


def _due(pair: dict[str, Any]) -> int:
    """Rows the targets changed (a row two targets change counts twice, as the engine counts)."""
    return sum(n for target, n in pair["baseline"]["rows"].items() if not target.startswith("("))


def _profile_text(profile: cProfile.Profile) -> str:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def _report(name: str, details: list[dict[str, Any]], ours: list[float], base: list[float]) -> None:
    first = details[0]
    console.print(f"\n[bold]{name}[/bold]: rows per target (baseline rowcount / ours)")
    for target, count in first["baseline"]["rows"].items():
        mine = first["ours"]["rows"].get(target, "-")
        console.print(f"  {target:32} {count:>9,} / {mine:>9}")
    console.print(f"  kept by holds (ours): {first['ours']['kept']}")
    keys = (first["baseline"]["keys_destroyed"], first["ours"]["keys_destroyed"])
    console.print(
        f"  data keys destroyed: {keys[0]:,} / {keys[1]:,}; batches: {first['ours']['batches']}"
    )
    console.print(f"  end state after ours: {first['end_state']}")
    console.print(f"  ours by phase (s): {first['ours']['seconds_by_phase']}")
    equal = all(d["end_states_equal"] for d in details)
    ratio = statistics.median(ours) / statistics.median(base)
    rows = _due(first)
    verdict = "PASS" if ratio <= TARGET_RATIO and equal else "MISS"
    console.print(
        f"  [bold]{name}: {rows:,} rows; plain SQL {_range(base)}; ours {_range(ours)}; "
        f"ratio {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x): {verdict}[/bold]"
        f"{'' if equal else ' (END STATES DIFFER)'}"
    )
    if "profile" in first:
        console.print(first["profile"], markup=False, highlight=False)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rows", type=int, help="about this many due rows (~10 per customer)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile our first run")
    parser.add_argument(
        "--secure-delete",
        action="store_true",
        help="SQLite: the baseline overwrites deleted content too (PRAGMA secure_delete), as ours",
    )
    args = parser.parse_args()
    if args.rows:
        args.customers = max(100, args.rows // 10)
    return args


def main() -> None:
    """Seed, measure, print and record."""
    args = _arguments()
    names = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in names and not pg_available():
        console.print(f"PostgreSQL does not answer at {PG_ADMIN_URL}: SQLite only")
        names.remove("postgresql")
    results: dict[str, Any] = {"customers": args.customers, "runs": args.runs,
                               "batch_size": retention.DEFAULT_BATCH,
                               "load_average_before": os.getloadavg()[0]}  # fmt: skip
    for name in names:
        root = Path(tempfile.mkdtemp(prefix=f"bench-retention-{name}-"))
        with backend_for(name, root, PREFIX) as backend:
            results[name] = measure(backend, args)
    results["load_average_after"] = os.getloadavg()[0]
    console.print(f"load average (1 min) before/after: {results['load_average_before']:.1f}"
                  f"/{results['load_average_after']:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    suffix = "" if args.customers == 100_000 else f"-{args.customers}"
    suffix += "-secure-delete" if args.secure_delete else ""
    console.print(f"results: {record('retention' + suffix, results)}")


if __name__ == "__main__":
    main()
