"""Field encryption cost: per value, per 12-field record (ORM), and per blind index.

Every figure is measured beside its baseline in the same run and printed as a ratio:

* value: ``CryptoContext.seal`` / ``open`` (AES-256-GCM, data key cached in the context)
  against the same ``str.encode`` / ``bytes.decode`` and a dict store, per value;
* key: the first seal for a new subject (creates and wraps a data key in the keystore) and
  the first open in a new unit of work (reads and unwraps it), against a cached-key seal;
* record: a 12-field model using :class:`SealedMixin`, flushed, committed and read back
  (every field touched) through a real session with ``session.info["crypto"]``, against
  the same model with 12 plain ``String`` columns; both in batches (one unit of work per
  batch: the encryption cost itself) and one unit of work per record, each record its own
  subject (what one request pays, key fetch included);
* blind index: ``CryptoContext.blind_index`` (normalise + HMAC-SHA256) against an unkeyed
  SHA-256 of the same text.

Real keystore and data store on SQLite in a temporary directory. Timings use
``time.perf_counter_ns``, one discarded warm-up repetition, baseline and subject
interleaved, and the median of the repetitions.

Run: .venv/bin/python bench/bench_crypto.py [--quick]
"""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import MetaData, String, Uuid, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from _common import record
from klaremont.config import Environment, Settings
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.fields import SealedMixin, sealed
from klaremont.db.base import IdMixin
from klaremont.platform import Platform

QUICK = "--quick" in sys.argv
VALUES = 2_000 if QUICK else 20_000  # values per repetition (value-level)
RECORDS = 200 if QUICK else 1_000  # records per repetition (batched)
REQUESTS = 50 if QUICK else 200  # units of work per repetition (one per record)
KEYS = 50 if QUICK else 200  # new subjects per repetition (key creation / fetch)
REPS = 5 if QUICK else 7  # measured repetitions (after one warm-up)

FIELDS = (
    "name",
    "date_of_birth",
    "gender",
    "email",
    "phone",
    "mobile",
    "line1",
    "line2",
    "town",
    "postcode",
    "billing_name",
    "notes",
)
TABLE = "bench_sealed_records"


class BenchBase(DeclarativeBase):
    """The benchmark's own tables, created beside the migrated ones."""

    metadata = MetaData()
    type_annotation_map: dict[Any, Any] = {uuid.UUID: Uuid()}  # noqa: RUF012 - SQLAlchemy's API


class SealedRecord(SealedMixin, IdMixin, BenchBase):
    """Customer-like: 12 sealed personal fields (no blind index, so the cost is AEAD alone)."""

    __tablename__ = TABLE

    subject_id: Mapped[uuid.UUID]
    name = sealed()
    date_of_birth = sealed()
    gender = sealed()
    email = sealed()
    phone = sealed()
    mobile = sealed()
    line1 = sealed()
    line2 = sealed()
    town = sealed()
    postcode = sealed()
    billing_name = sealed()
    notes = sealed()


class PlainRecord(IdMixin, BenchBase):
    """The baseline: the same record with 12 plain text columns."""

    __tablename__ = "bench_plain_records"

    subject_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[str] = mapped_column(String(200))
    gender: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(200))
    mobile: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200))
    town: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(200))
    billing_name: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(String(200))


Model = type[SealedRecord] | type[PlainRecord]

# ---------------------------------------------------------------------- data
_FIRST = ("Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Sophia", "Arthur", "Freya", "Leo")
_LAST = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Khan")
_TOWNS = ("Leeds", "Bristol", "Norwich", "York", "Cardiff", "Bath", "Durham", "Exeter")


def person(rng: random.Random) -> dict[str, str]:
    """Twelve realistic field values (8 to 60 characters)."""
    first, last, town = rng.choice(_FIRST), rng.choice(_LAST), rng.choice(_TOWNS)
    n = rng.randrange(100, 999)
    born = f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-{rng.randrange(10, 28)}"
    return {
        "name": f"{first} {last}",
        "date_of_birth": born,
        "gender": rng.choice(("female", "male", "non-binary")),
        "email": f"{first.lower()}.{last.lower()}{n}@example.co.uk",
        "phone": f"020 7946 0{n}",
        "mobile": f"07700 900{n}",
        "line1": f"{n} {rng.choice(_LAST)} Road",
        "line2": f"Flat {rng.randrange(1, 40)}",
        "town": town,
        "postcode": f"{town[:2].upper()}{rng.randrange(1, 20)} {rng.randrange(1, 9)}AB",
        "billing_name": f"{first[0]}. {last}",
        "notes": f"prefers e-mail; customer since 20{rng.randrange(10, 25)}; ref {n}",
    }


# ---------------------------------------------------------------------- timing
class Timing(NamedTuple):
    """Median ns per operation: wall clock (the result) and this process's CPU time.

    On a shared machine the CPU figure is the steadier one; both come from the same runs.
    """

    wall: float
    cpu: float


def _run(fn: Callable[[], int]) -> tuple[float, float]:
    wall, cpu = time.perf_counter_ns(), time.process_time_ns()
    ops = fn()
    return (time.perf_counter_ns() - wall) / ops, (time.process_time_ns() - cpu) / ops


def _median(samples: list[tuple[float, float]]) -> Timing:
    return Timing(
        statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)
    )


def measure(fn: Callable[[], int], reps: int = REPS) -> Timing:
    """Median ns per operation of ``fn`` (which returns how many operations it did)."""
    fn()  # warm-up
    return _median([_run(fn) for _ in range(reps)])


def measure_pair(
    subject: Callable[[], int], baseline: Callable[[], int], reps: int = REPS
) -> tuple[Timing, Timing]:
    """Median ns/op of ``subject`` and ``baseline``, repetitions interleaved (same load)."""
    subject()
    baseline()
    ours: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    for _ in range(reps):
        base.append(_run(baseline))
        ours.append(_run(subject))
    return _median(ours), _median(base)


def row(label: str, ours: Timing, base: Timing | None) -> dict[str, float | None]:
    """Print and return one result line."""
    if base is None:
        print(f"  {label:46}{ours.wall:12,.0f}{'-':>12}{'-':>9}{ours.cpu:12,.0f}{'-':>10}")
        return {"ns_per_op": round(ours.wall, 1), "cpu_ns_per_op": round(ours.cpu, 1)}
    ratio, cpu_ratio = ours.wall / base.wall, ours.cpu / base.cpu
    print(
        f"  {label:46}{ours.wall:12,.0f}{base.wall:12,.0f}{ratio:8.2f}x"
        f"{ours.cpu:12,.0f}{cpu_ratio:9.2f}x"
    )
    return {
        "ns_per_op": round(ours.wall, 1),
        "baseline_ns_per_op": round(base.wall, 1),
        "ratio": round(ratio, 2),
        "cpu_ns_per_op": round(ours.cpu, 1),
        "baseline_cpu_ns_per_op": round(base.cpu, 1),
        "cpu_ratio": round(cpu_ratio, 2),
    }


def header(title: str) -> None:
    """Print a section title and the column names."""
    print(
        f"\n{title}\n  {'':46}{'ns/op':>12}{'baseline':>12}{'ratio':>9}"
        f"{'CPU ns/op':>12}{'CPU ratio':>10}"
    )


# ---------------------------------------------------------------------- benchmarks
def bench_values(platform: Platform) -> dict[str, Any]:  # noqa: C901 - a closure per operation
    """seal/open one value with a cached key, against encode/decode and a dict store."""
    rng = random.Random(1)
    people = [person(rng) for _ in range(VALUES)]
    values = [p[FIELDS[i % len(FIELDS)]] for i, p in enumerate(people)]
    row_ids = [uuid.uuid4() for _ in values]
    subject = uuid.uuid4()
    ctx = CryptoContext(platform.keystore)
    ctx.seal(subject, TABLE, "name", row_ids[0], "warm the key cache")
    sealed_store: dict[int, bytes] = {}
    plain_store: dict[int, bytes] = {}

    def seal() -> int:
        for i, value in enumerate(values):
            sealed_store[i] = ctx.seal(subject, TABLE, "name", row_ids[i], value)
        return len(values)

    def encode() -> int:
        for i, value in enumerate(values):
            plain_store[i] = value.encode()
        return len(values)

    def open_() -> int:
        for i in range(len(values)):
            ctx.open(subject, TABLE, "name", row_ids[i], sealed_store[i])
        return len(values)

    def decode() -> int:
        for i in range(len(values)):
            plain_store[i].decode()
        return len(values)

    def round_trip() -> int:
        seal()
        open_()
        return len(values)

    def plain_trip() -> int:
        encode()
        decode()
        return len(values)

    header(f"value: one field, key cached ({VALUES:,} values x {REPS} reps, median)")
    out = {
        "seal": row("seal (encrypt) vs str.encode + dict store", *measure_pair(seal, encode)),
        "open": row("open (decrypt) vs dict load + bytes.decode", *measure_pair(open_, decode)),
        "round_trip": row("seal + open vs encode + decode", *measure_pair(round_trip, plain_trip)),
    }
    assert ctx.open(subject, TABLE, "name", row_ids[3], sealed_store[3]) == values[3]  # noqa: S101 - correctness, not timing
    return out


def bench_keys(platform: Platform) -> dict[str, Any]:
    """First seal for a new subject, first open in a new unit of work, vs a cached-key seal."""
    row_id = uuid.uuid4()
    made: list[tuple[uuid.UUID, bytes]] = []

    def first_seal() -> int:
        ctx = CryptoContext(platform.keystore)
        for _ in range(KEYS):
            subject = uuid.uuid4()
            made.append((subject, ctx.seal(subject, TABLE, "name", row_id, "Amelia Smith")))
        return KEYS

    def first_open() -> int:
        batch = made[-KEYS:]
        for subject, ciphertext in batch:
            CryptoContext(platform.keystore).open(subject, TABLE, "name", row_id, ciphertext)
        return len(batch)

    cached = CryptoContext(platform.keystore)
    subject = uuid.uuid4()

    def cached_seal() -> int:
        for _ in range(KEYS):
            cached.seal(subject, TABLE, "name", row_id, "Amelia Smith")
        return KEYS

    header(f"data key: once per subject per unit of work ({KEYS} subjects x {REPS} reps)")
    return {
        "first_seal_new_subject": row(
            "first seal, new subject (create+wrap key)", *measure_pair(first_seal, cached_seal)
        ),
        "first_open_new_uow": row(
            "first open, new context (read+unwrap key)", *measure_pair(first_open, cached_seal)
        ),
    }


def bench_blind_index(platform: Platform) -> dict[str, Any]:
    """Blind index (normalise + HMAC-SHA256) against an unkeyed SHA-256 of the raw text."""
    rng = random.Random(2)
    people = [person(rng) for _ in range(VALUES)]
    emails = [p["email"].title() for p in people]  # mixed case: normalising has work to do
    phones = [p["mobile"] for p in people]
    ctx = CryptoContext(platform.keystore)

    def index(kind: str, values: list[str]) -> Callable[[], int]:
        def run() -> int:
            for value in values:
                ctx.blind_index(kind, value)
            return len(values)

        return run

    def sha(values: list[str]) -> Callable[[], int]:
        def run() -> int:
            for value in values:
                hashlib.sha256(value.encode()).hexdigest()
            return len(values)

        return run

    def normalise_only(kind: str, values: list[str]) -> Callable[[], int]:
        indexer = platform.keystore.indexer

        def run() -> int:
            for value in values:
                indexer.normalise(kind, value)
            return len(values)

        return run

    header(f"blind index ({VALUES:,} values x {REPS} reps)")
    return {
        "email": row(
            "e-mail: normalise + HMAC vs sha256(raw)",
            *measure_pair(index("email", emails), sha(emails)),
        ),
        "phone": row(
            "phone: normalise + HMAC vs sha256(raw)",
            *measure_pair(index("phone", phones), sha(phones)),
        ),
        "email_normalise_only": row(
            "  of which e-mail normalisation", measure(normalise_only("email", emails)), None
        ),
        "phone_normalise_only": row(
            "  of which phone normalisation", measure(normalise_only("phone", phones)), None
        ),
    }


def _fill(
    model: Model, subject_id: uuid.UUID, values: dict[str, str]
) -> SealedRecord | PlainRecord:
    item = model(subject_id=subject_id)
    for name in FIELDS:
        setattr(item, name, values[name])
    return item


def bench_records(platform: Platform) -> dict[str, Any]:  # noqa: C901 - a closure per operation
    """12-field record write and read, batched and one unit of work per record."""
    rng = random.Random(3)
    people = [person(rng) for _ in range(RECORDS)]
    written: dict[Model, list[uuid.UUID]] = {SealedRecord: [], PlainRecord: []}
    per_request: dict[Model, list[tuple[uuid.UUID, uuid.UUID]]] = {
        SealedRecord: [],
        PlainRecord: [],
    }

    def write_batch(model: Model) -> Callable[[], int]:
        def run() -> int:
            subject = uuid.uuid4()  # one subject: the key is fetched once, AEAD is what's left
            with platform.unit_of_work() as uow:
                items = [_fill(model, subject, p) for p in people]
                uow.session.add_all(items)
            written[model] = [item.id for item in items]
            return len(items)

        return run

    def read_batch(model: Model) -> Callable[[], int]:
        def run() -> int:
            ids = written[model]
            with platform.unit_of_work() as uow:
                items = uow.session.scalars(select(model).where(model.id.in_(ids))).all()
                got = [[getattr(item, name) for name in FIELDS] for item in items]
            assert len(got) == len(ids)  # noqa: S101 - correctness, not timing
            return len(items)

        return run

    def write_each(model: Model) -> Callable[[], int]:
        def run() -> int:
            done = []
            for p in people[:REQUESTS]:
                subject = uuid.uuid4()  # a new customer: a new data key
                with platform.unit_of_work() as uow:
                    item = _fill(model, subject, p)
                    uow.session.add(item)
                done.append((item.id, subject))
            per_request[model] = done
            return len(done)

        return run

    def read_each(model: Model) -> Callable[[], int]:
        def run() -> int:
            for row_id, _subject in per_request[model]:
                with platform.unit_of_work() as uow:
                    item = uow.session.get(model, row_id)
                    assert item is not None  # noqa: S101 - correctness, not timing
                    for name in FIELDS:
                        getattr(item, name)
            return len(per_request[model])

        return run

    header(f"record: 12 fields, {RECORDS:,} per unit of work, one subject ({REPS} reps)")
    out = {
        "batch_write": row(
            "write (seal, INSERT, commit) vs 12 String cols",
            *measure_pair(write_batch(SealedRecord), write_batch(PlainRecord)),
        ),
        "batch_read": row(
            "read (SELECT, open 12 fields) vs 12 String cols",
            *measure_pair(read_batch(SealedRecord), read_batch(PlainRecord)),
        ),
    }
    header(f"record: one unit of work per record, each its own subject ({REQUESTS} x {REPS} reps)")
    out["request_write"] = row(
        "write: new subject key + seal + commit",
        *measure_pair(write_each(SealedRecord), write_each(PlainRecord)),
    )
    out["request_read"] = row(
        "read by id: fetch key + open 12 fields",
        *measure_pair(read_each(SealedRecord), read_each(PlainRecord)),
    )
    with platform.unit_of_work() as uow:  # correctness check of the sealed path, outside timing
        item = uow.session.get(SealedRecord, written[SealedRecord][5])
        assert item is not None  # noqa: S101
        assert [getattr(item, n) for n in FIELDS] == [people[5][n] for n in FIELDS]  # noqa: S101
    return out


def build_platform(root: Path) -> Platform:
    """A migrated platform on SQLite (data store and keystore) under ``root``."""
    settings = Settings(
        environment=Environment.TEST,
        var_dir=root / "var",
        database_url=f"sqlite:///{root / 'klaremont.db'}",
        keystore_url=f"sqlite:///{root / 'keystore.db'}",
    )
    platform = Platform.build(settings)
    platform.upgrade()
    BenchBase.metadata.create_all(platform.engine)
    return platform


def main() -> None:
    """Run every measurement, print ratios and record the results."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        platform = build_platform(Path(tmp))
        try:
            results = {
                "value": bench_values(platform),
                "data_key": bench_keys(platform),
                "blind_index": bench_blind_index(platform),
                "record": bench_records(platform),
            }
        finally:
            platform.dispose()
    data = {
        "database": "sqlite (data store and keystore)",
        "sizes": {
            "values": VALUES,
            "records": RECORDS,
            "requests": REQUESTS,
            "keys": KEYS,
            "reps": REPS,
        },
        "loadavg_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "cpus": os.cpu_count(),
        **results,
    }
    print(f"\nresults: {record('crypto-quick' if QUICK else 'crypto', data)}")


if __name__ == "__main__":
    main()
