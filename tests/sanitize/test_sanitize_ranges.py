"""SQLite to SQLite with workers: each worker reads its own range of the source's key.

``rawio.key_ranges`` cuts a table's key into ranges a batch long and ``rawio.range_sql``
reads one; workers leave out the rows of people left out and count what the parent
counted; production's keys are unwrapped once before the fork (``SourceKeys.load_all``).
A copy made this way is the copy one process makes, byte for byte, with the same report.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
import uuid
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sanitize_support import KEY, OTHER_KEY, copy_files
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select, update

from backend_support import BACKEND
from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.crypto.keystore_models import SubjectKey
from klaremont.customers.models import Customer, Order
from klaremont.db.subjects import Subject
from klaremont.errors import Conflict, ValidationFailed
from klaremont.platform import Platform
from klaremont.rights import erasure, intake
from klaremont.rights.ports import CustomerIdentity
from klaremont.rights.states import RequestKind
from klaremont.sanitize import parallel, rawio
from klaremont.sanitize.copykeys import SourceKeys
from klaremont.sanitize.fakes import Faker
from klaremont.sanitize.report import to_html
from klaremont.sanitize.service import sanitise
from klaremont.sanitize.transform import Transformer, dashed, hex_of

SQLITE_ONLY = pytest.mark.skipif(
    BACKEND != "sqlite",
    reason="workers read ranges of a SQLite source only (a PostgreSQL source is read by "
    "the parent, as before)",
)
SMALL_BATCH = 4  # every table of a few rows more than this goes through several ranges


# ---------------------------------------------------------------------- key ranges
def _items(metadata: MetaData, name: str = "items", key: str = "id", *, text: bool = False):
    return Table(
        name,
        metadata,
        Column(key, String(32) if text else Integer, primary_key=True, autoincrement=False),
        Column("label", String(40), nullable=False),
    )


def _keys(count: int, *, text: bool) -> list[object]:
    """``count`` keys in no order: integers far apart, or 32 hex digits (as SQLite keeps ids)."""
    if text:
        return [uuid.UUID(int=(n * 7919 + 13) * 2**90 + n).hex for n in range(count)][::-1]
    return [(n * 37) % 101 + 1000 * (n % 3) for n in range(count)]


def _filled(folder: Path, count: int, *, text: bool = False, name: str = "items", key="id"):
    """A SQLite file with one table of ``count`` rows, inserted in no key order."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{folder / f'ranges-{count}-{text}.db'}")
    metadata = MetaData()
    table = _items(metadata, name, key, text=text)
    metadata.create_all(engine)
    keys = _keys(count, text=text)
    assert len(set(keys)) == count
    if keys:
        with engine.begin() as conn:
            conn.execute(table.insert(), [{key: k, "label": f"row {k}"} for k in keys])
    return engine, table, sorted(keys)


def _read(engine, table, bounds) -> list[list[tuple[object, ...]]]:
    """Each range's rows, read as a worker reads them (the driver's own cursor)."""
    parts = []
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        for after, up_to in bounds:
            sql, params = rawio.range_sql(table, after, up_to)
            parts.append([tuple(r) for r in driver.execute(sql, params).fetchall()])
    return parts


@pytest.mark.parametrize("text", [False, True], ids=["integer-key", "hex-key"])
def test_ten_rows_in_threes_make_four_ranges_that_read_every_row_once_in_key_order(tmp_path, text):
    engine, table, keys = _filled(tmp_path, 10, text=text)
    try:
        bounds = rawio.key_ranges(engine, table, size=3)
        assert bounds == [(None, keys[2]), (keys[2], keys[5]), (keys[5], keys[8]), (keys[8], None)]
        parts = _read(engine, table, bounds)
        assert [len(p) for p in parts] == [3, 3, 3, 1]
        read = [row for part in parts for row in part]
        assert [row[0] for row in read] == keys  # each once, in key order
        assert read == [(k, f"row {k}") for k in keys]
    finally:
        engine.dispose()


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_any_table_size_and_range_size_read_every_row_exactly_once(tmp_path, size):
    for count in range(11):
        engine, table, keys = _filled(tmp_path / f"{size}-{count}", count)
        try:
            bounds = rawio.key_ranges(engine, table, size=size)
            assert bounds is not None
            assert len(bounds) == count // size + 1
            assert bounds[0][0] is None
            assert bounds[-1][1] is None
            assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
            parts = _read(engine, table, bounds)
            assert all(len(p) == size for p in parts[:-1])
            assert [row[0] for part in parts for row in part] == keys, (size, count)
        finally:
            engine.dispose()


def test_an_empty_table_is_one_open_range_that_reads_nothing(tmp_path):
    engine, table, _ = _filled(tmp_path, 0)
    try:
        assert rawio.key_ranges(engine, table, size=3) == [(None, None)]
        assert rawio.range_sql(table, None, None)[1] == ()
        assert _read(engine, table, [(None, None)]) == [[]]
    finally:
        engine.dispose()


def test_a_key_of_two_columns_has_no_ranges(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'pairs.db'}")
    metadata = MetaData()
    pairs = Table(
        "pairs",
        metadata,
        Column("account", Integer, primary_key=True, autoincrement=False),
        Column("role", String(20), primary_key=True),
    )
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(pairs.insert(), [{"account": n, "role": "r"} for n in range(5)])
        assert rawio.key_ranges(engine, pairs, size=2) is None
        assert rawio.key_ranges(engine, pairs) is None
    finally:
        engine.dispose()


def test_rows_added_after_the_cuts_above_the_last_one_are_read_by_the_last_range(tmp_path):
    engine, table, keys = _filled(tmp_path, 10)
    try:
        bounds = rawio.key_ranges(engine, table, size=3)
        assert bounds is not None
        last_cut = bounds[-1][0]
        later = [max(keys) + 1, max(keys) + 500]
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": k, "label": "later"} for k in later])
        parts = _read(engine, table, bounds)
        assert [row[0] for row in parts[-1]] == [k for k in keys if k > last_cut] + later
        assert [row[0] for part in parts for row in part] == [*keys, *later]
    finally:
        engine.dispose()


def test_the_range_size_is_the_batch_unless_given(tmp_path, monkeypatch):
    engine, table, keys = _filled(tmp_path, 10)
    try:
        monkeypatch.setattr(rawio, "BATCH", 4)
        assert rawio.key_ranges(engine, table) == [(None, keys[3]), (keys[3], keys[7]),
                                                   (keys[7], None)]  # fmt: skip
        monkeypatch.setattr(rawio, "BATCH", 10)
        assert rawio.key_ranges(engine, table) == [(None, keys[9]), (keys[9], None)]
    finally:
        engine.dispose()


def test_names_that_need_quoting_are_read_too(tmp_path):
    engine, table, keys = _filled(tmp_path, 7, name='odd "items"', key="the key")
    try:
        bounds = rawio.key_ranges(engine, table, size=2)
        assert bounds is not None
        assert len(bounds) == 4
        assert [row[0] for part in _read(engine, table, bounds) for row in part] == keys
    finally:
        engine.dispose()


@SQLITE_ONLY
def test_a_platform_tables_ranges_read_what_the_parent_reads(seeded):
    """The customers table (ids as 32 hex digits): the ranges' rows, in order, are the
    rows the parent reads a batch at a time."""
    table = Customer.__table__
    bounds = rawio.key_ranges(seeded.engine, table, size=3)
    assert bounds is not None
    assert len(bounds) >= 3
    ranged = [row for part in _read(seeded.engine, table, bounds) for row in part]
    whole = [tuple(r) for part in rawio.read_batches(seeded.engine, table, raw=True) for r in part]
    assert ranged == whole
    assert len(whole) == len({row[table.columns.keys().index("id")] for row in whole})


# ---------------------------------------------------------------------- people left out
@dataclass
class LeftOut:
    """Who is left out of the copy, each a different way (one of them a kept person's
    order points at)."""

    platform: Platform  # the seeded source
    marked_and_shredded: str  # the seeded fixture's: marked erased, key destroyed
    through_rights: str  # erased through the rights service (rows swept, a tombstone)
    marked_only: str  # erased_at set, key still there
    shredded_only: str  # key destroyed, not marked


def _erase_through_rights(platform: Platform, candidates: list[tuple[uuid.UUID, uuid.UUID]]):
    for subject_id, customer_id in candidates:
        try:
            with platform.unit_of_work() as uow:
                who = CustomerIdentity(subject_id, customer_id)
                made = intake.submit_signed_in(uow, who, RequestKind.ERASURE)
                erasure.erase(uow, made.id)
        except (Conflict, ValidationFailed):
            continue  # an open access request, a legal hold: the next one
        return subject_id
    pytest.fail("no demo customer could be erased through the rights service")


@pytest.fixture
def left_out(seeded) -> LeftOut:
    """The seeded demo with four people left out four ways, and a kept person's order
    linked (a nullable link) to a left-out customer: the copy keeps it, link cleared."""
    with seeded.unit_of_work() as uow:
        people = [
            (c.subject_id, c.id)
            for c in uow.session.scalars(select(Customer).order_by(Customer.reference))
        ]
    victim_subject, victim_customer = people[0]
    rights = _erase_through_rights(seeded, people[1:4])
    rest = [p for p in people[1:] if p[0] != rights]
    marked, shredded = rest[0][0], rest[1][0]
    kept = rest[2:]
    with seeded.unit_of_work() as uow:
        uow.session.execute(
            update(Subject).where(Subject.id == marked).values(erased_at=uow.clock.now())
        )
        order = uow.session.scalars(
            select(Order)
            .where(Order.subject_id.in_([s for s, _ in kept]), Order.customer_id.is_not(None))
            .order_by(Order.id)
        ).first()
        assert order is not None, "no kept customer has an order"
        uow.session.execute(
            update(Order).where(Order.id == order.id).values(customer_id=victim_customer)
        )
    seeded.keystore.destroy(shredded, "shredded in a test")
    return LeftOut(
        platform=seeded,
        marked_and_shredded=victim_subject.hex,
        through_rights=rights.hex,
        marked_only=marked.hex,
        shredded_only=shredded.hex,
    )


# ---------------------------------------------------------------------- spies (the parent)
@dataclass
class Spy:
    """What the parent did: ranges cut per table, range jobs handed to the workers."""

    ranges: dict[str, int | None] = field(default_factory=dict)
    jobs: Counter[str] = field(default_factory=Counter)

    def ranged(self) -> set[str]:
        """Tables whose rows the workers read."""
        return set(self.jobs)


@pytest.fixture
def spy(monkeypatch) -> Spy:
    """Wraps ``rawio.key_ranges`` and ``Transforms.run_ranges`` in the parent (the workers
    are forked processes: what they do is seen in what the parent hands them)."""
    seen = Spy()
    real_ranges = rawio.key_ranges
    real_run = parallel.Transforms.run_ranges

    def key_ranges(engine, table, size=None):
        found = real_ranges(engine, table, size)
        seen.ranges[str(table.name)] = None if found is None else len(found)
        return found

    def run_ranges(self, jobs):
        def counted():
            for job in jobs:
                assert isinstance(job, parallel.RangeJob)
                seen.jobs[job.table] += 1
                yield job

        return real_run(self, counted())

    monkeypatch.setattr(rawio, "key_ranges", key_ranges)
    monkeypatch.setattr(parallel.Transforms, "run_ranges", run_ranges)
    return seen


# ---------------------------------------------------------------------- copies
def _copy(platform, tmp_path, name, *, jobs, monkeypatch, key=KEY, subset=None):
    monkeypatch.setenv("KLAREMONT_SANITIZE_JOBS", str(jobs))
    return sanitise(
        platform.settings,
        source_url=None,
        target_url=f"sqlite:///{tmp_path / name}",
        key=key,
        subset=subset,
    )


def _counts(report) -> dict[str, tuple[int, int, int]]:
    return {
        t["table"]: (t["rows_read"], t["rows_left_out"], t["rows_written"])
        for t in report["tables"]
    }


def _assert_same_copy(tmp_path, one, other, names):
    assert one.passed, one.report["verification"]
    assert other.passed, other.report["verification"]
    assert (tmp_path / names[0]).read_bytes() == (tmp_path / names[1]).read_bytes()
    assert copy_files(tmp_path, names[0]) == copy_files(tmp_path, names[1])
    assert other.report["verification"] == one.report["verification"]
    assert _counts(other.report) == _counts(one.report)
    for field_name in ("rows_read", "rows_written", "customers_left_out_by_subset", "subset"):
        assert other.report[field_name] == one.report[field_name], field_name


def _sampling_key(left: LeftOut) -> bytes:
    """A run key whose half-sample of the customers still copied is neither all nor none."""
    gone = {left.marked_and_shredded, left.through_rights, left.marked_only, left.shredded_only}
    with left.platform.unit_of_work() as uow:
        subjects = [
            s for s in uow.session.scalars(select(Customer.subject_id)) if s.hex not in gone
        ]
    return next(
        k
        for k in (KEY, OTHER_KEY, *(bytes([i]) * 32 for i in range(40)))
        if 0 < sum(Faker(k).sampled(s.bytes, 0.5) for s in subjects) < len(subjects)
    )


@SQLITE_ONLY
@pytest.mark.policy("IS-SENS-DEV")
@pytest.mark.parametrize("subset", [None, 0.5], ids=["everyone", "half"])
def test_workers_reading_ranges_make_the_copy_one_process_makes(
    left_out, spy, tmp_path, monkeypatch, subset
):
    """People left out four ways (and, with a subset, half of the rest): one process, and
    two workers reading ranges of a few rows, make the same file, keys, verification and
    table counts (rows read, left out, written)."""
    monkeypatch.setattr(rawio, "BATCH", SMALL_BATCH)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # every table large enough for workers
    seeded = left_out.platform
    key = _sampling_key(left_out)
    alone = _copy(seeded, tmp_path, "alone.db", jobs=1, monkeypatch=monkeypatch, key=key,
                  subset=subset)  # fmt: skip
    assert spy.ranges == {}  # one process: the parent reads every table
    assert not spy.jobs
    shared = _copy(seeded, tmp_path, "shared.db", jobs=2, monkeypatch=monkeypatch, key=key,
                   subset=subset)  # fmt: skip
    _assert_same_copy(tmp_path, alone, shared, ("alone.db", "shared.db"))

    # the workers read: every range cut was handed to them, several tables in several
    assert "customers" in spy.ranged()
    assert spy.ranges["customers"] >= 2
    for table, jobs in spy.jobs.items():
        assert jobs == spy.ranges[table], table
    several = sorted(t for t, n in spy.ranges.items() if n is not None and n > 1)
    assert len(several) >= 3, several
    assert sum(spy.jobs.values()) >= 10

    # and they left people out: three customers rows (the fourth person's was swept by
    # the rights service), and with a subset the customers outside the sample
    counts = _counts(shared.report)
    read, gone, written = counts["customers"]
    assert written == read - gone
    if subset is None:
        assert gone == 3
        assert shared.report["customers_left_out_by_subset"] == 0
    else:
        assert shared.report["customers_left_out_by_subset"] > 0
        assert gone > 3
    with closing(sqlite3.connect(tmp_path / "shared.db")) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (written,)


@SQLITE_ONLY
@pytest.mark.policy("IS-SENS-DEV")
def test_a_table_linking_to_rows_left_out_is_read_by_the_parent(
    left_out, spy, tmp_path, monkeypatch
):
    """Orders point at customers left out (and lines and invoices at orders left out):
    that filter needs the keys left out, so the parent reads those tables; the copy is
    still one process's, and a kept person's order linked to a customer left out is kept
    with the link cleared (the keys the workers found left out reached the parent)."""
    seeded = left_out.platform
    monkeypatch.setattr(rawio, "BATCH", SMALL_BATCH)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    alone = _copy(seeded, tmp_path, "alone.db", jobs=1, monkeypatch=monkeypatch)
    shared = _copy(seeded, tmp_path, "shared.db", jobs=2, monkeypatch=monkeypatch)
    _assert_same_copy(tmp_path, alone, shared, ("alone.db", "shared.db"))

    assert {"customers", "data_subjects"} <= spy.ranged()
    for table in ("orders", "order_lines", "invoices", "addresses", "payment_cards"):
        assert table not in spy.ranges, table  # no ranges cut
        assert table not in spy.jobs, table  # no range handed to a worker

    gone = {
        uuid.UUID(hex=h)
        for h in (
            left_out.marked_and_shredded,
            left_out.through_rights,
            left_out.marked_only,
            left_out.shredded_only,
        )
    }
    with seeded.unit_of_work() as uow:
        unlinked = uow.session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.customer_id.is_(None), Order.subject_id.not_in(gone))
        )
    with closing(sqlite3.connect(tmp_path / "shared.db")) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        cleared = conn.execute("SELECT count(*) FROM orders WHERE customer_id IS NULL")
        assert cleared.fetchone() == (unlinked + 1,)  # the crafted order, its link cleared


@SQLITE_ONLY
@pytest.mark.policy("IS-SENS-DEV")
def test_with_no_one_left_out_the_workers_read_the_linked_tables_too(
    platform, spy, tmp_path, monkeypatch
):
    """The other side of the rule above: with no one left out, orders, their lines and
    invoices are read by the workers; a table with a link within itself (rows written
    through SQLAlchemy) and one keyed by two columns are read by the parent."""
    from sanitize_support import SMALL  # noqa: PLC0415 - the size the seeded fixture uses

    from klaremont.demo import service as demo  # noqa: PLC0415 - only this test seeds by hand

    demo.seed(platform, SMALL)
    with platform.unit_of_work() as uow:
        marked = uow.session.scalar(
            select(func.count()).select_from(Subject).where(Subject.erased_at.is_not(None))
        )
    assert marked == 0
    monkeypatch.setattr(rawio, "BATCH", SMALL_BATCH)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    alone = _copy(platform, tmp_path, "alone.db", jobs=1, monkeypatch=monkeypatch)
    shared = _copy(platform, tmp_path, "shared.db", jobs=2, monkeypatch=monkeypatch)
    _assert_same_copy(tmp_path, alone, shared, ("alone.db", "shared.db"))
    assert {"customers", "orders", "order_lines", "invoices", "addresses"} <= spy.ranged()
    assert "staff_accounts" not in spy.ranges  # its line-manager link: not as stored
    assert spy.ranges["staff_roles"] is None  # two-column key: no ranges
    assert "staff_roles" not in spy.jobs
    assert spy.ranged() == {t for t, n in spy.ranges.items() if n is not None}
    assert all(gone == 0 for _, gone, _ in _counts(shared.report).values())


# ---------------------------------------------------------------------- production's keys
def _sealed_names(platform: Platform) -> list[tuple[str, str, bytes | None]]:
    """Every customers row's subject (32 hex digits), id (dashed) and sealed name, as stored."""
    table = Customer.__table__
    wanted = ["id", "subject_id", "name"]
    order = [str(c.name) for c in table.columns if c.name in wanted]
    at = {name: order.index(name) for name in wanted}
    out = []
    for part in rawio.read_batches(platform.engine, table, raw=True, only=order):
        for row in part:
            sealed = row[at["name"]]
            out.append(
                (
                    hex_of(row[at["subject_id"]]),
                    dashed(hex_of(row[at["id"]])),
                    None if sealed is None else bytes(sealed),
                )
            )
    return out


@pytest.mark.policy("IS-SENS-DEV")
def test_load_all_unwraps_every_live_key_once_and_no_destroyed_one(seeded):
    with seeded.unit_of_work() as uow:
        customers = list(uow.session.scalars(select(Customer).order_by(Customer.reference)))
        victim = customers[0].subject_id.hex  # the seeded fixture destroyed this person's key
        people = [(c.id, c.subject_id, c.name) for c in customers[1:]]
        rotated_customer, rotated_subject, _ = people[0]
        uow.crypto.rotate_subject_key(rotated_subject)
    with seeded.unit_of_work() as uow:  # sealed again under the new version
        customer = uow.session.get(Customer, rotated_customer)
        assert customer is not None
        customer.name = "Rotated Keyholder"
    names = {subject.hex: name for _, subject, name in people}
    names[rotated_subject.hex] = "Rotated Keyholder"

    keys_table = SubjectKey.__table__
    with seeded.keystore.engine.connect() as conn:
        live_rows = conn.execute(
            select(keys_table.c.subject_id).where(keys_table.c.wrapped.is_not(None))
        ).scalars()
        live_subjects = Counter(hex_of(s) for s in live_rows)
    assert live_subjects[rotated_subject.hex] == 2
    assert victim not in live_subjects

    keys = SourceKeys(seeded.keystore)
    assert victim in keys.destroyed_subjects()
    assert keys.load_all() == sum(live_subjects.values())  # every live version, once

    # none of them is handed to a worker (the workers start with them) ...
    assert keys.handed(live_subjects) == {}
    assert keys.handed({victim}) == {}
    # ... while a keystore read without load_all hands them, and a key made afterwards is
    unloaded = SourceKeys(seeded.keystore)
    assert len(unloaded.handed(live_subjects)) == sum(live_subjects.values())
    newcomer = uuid.uuid4()
    seeded.keystore.create_subject_key(newcomer)
    assert set(keys.handed({newcomer.hex})) == {(newcomer.hex, 1)}

    keys.forget()  # a worker's between batches: the keys loaded before the fork stay
    rows = [r for r in _sealed_names(seeded) if r[0] != victim]
    assert rows
    opened = keys.open_column(
        "customers", "name", [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    )
    assert [None if v is None else v.decode() for v in opened] == [names[r[0]] for r in rows]
    assert "Rotated Keyholder" in {v.decode() for v in opened if v is not None}

    (destroyed,) = [r for r in _sealed_names(seeded) if r[0] == victim]
    assert destroyed[2] is not None
    with pytest.raises(SubjectKeyDestroyed):
        keys.open_column("customers", "name", [victim], [destroyed[1]], [destroyed[2]])


# ---------------------------------------------------------------------- the report's stages
@pytest.mark.policy("IS-SENS-DEV")
def test_the_report_times_unwrapping_the_keys_for_the_workers(seeded, tmp_path, monkeypatch):
    """With workers the keys are unwrapped once, before the fork, and the report's "keys"
    stage is that time; one process unwraps none up front and the stage is 0. (The spy
    waits 20 ms, so the stage cannot round to 0 on a fast machine.)"""
    loaded: list[int] = []
    real = SourceKeys.load_all

    def load_all(self):
        time.sleep(0.02)
        loaded.append(real(self))
        return loaded[-1]

    monkeypatch.setattr(SourceKeys, "load_all", load_all)
    alone = _copy(seeded, tmp_path, "alone.db", jobs=1, monkeypatch=monkeypatch)
    assert loaded == []
    assert alone.report["stages"]["keys"] == 0.0
    shared = _copy(seeded, tmp_path, "shared.db", jobs=2, monkeypatch=monkeypatch)
    assert len(loaded) == 1
    assert loaded[0] > 0
    assert shared.report["stages"]["keys"] >= 0.02
    assert set(shared.report["stages"]) == set(alone.report["stages"])
    assert "keys" in alone.report["stages"]
    assert "keys for the worker processes" in to_html(shared.report)  # the stage in words
    assert alone.passed
    assert shared.passed, shared.report["verification"]


@pytest.mark.policy("IS-SENS-DEV")
def test_the_report_sums_the_rules_own_work_over_the_worker_processes(
    seeded, tmp_path, monkeypatch
):
    """The rules' own seconds come back from every worker with its batch and are summed:
    each call of the rules is made to take 30 ms more, so the sum reaches the calls made in
    the workers, not only the parent's wait; rows/s on the cores is the rows over that sum
    shared by the processes, and the HTML report says it in words."""
    monkeypatch.setattr(rawio, "BATCH", SMALL_BATCH)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # every table through the workers
    calls: list[int] = []
    real = Transformer.apply

    def slow(self, plan, names, rows):
        calls.append(1)  # counted in the parent only; the workers' calls are not seen here
        time.sleep(0.03)
        return real(self, plan, names, rows)

    monkeypatch.setattr(Transformer, "apply", slow)
    shared = _copy(seeded, tmp_path, "work.db", jobs=2, monkeypatch=monkeypatch)
    assert shared.passed, shared.report["verification"]
    work = shared.report["transform_work"]
    batches = sum(-(-t["rows_read"] // SMALL_BATCH) for t in shared.report["tables"])
    assert batches > 10
    assert work["processes"] == 2
    assert work["seconds"] >= 0.03 * batches * 0.8  # every batch's rules, wherever they ran
    rows = shared.report["rows_read"]
    # the seconds are reported to the millisecond, the rate from the seconds measured
    expected = rows / (work["seconds"] / 2)
    assert work["rows_per_second_on_those_cores"] == pytest.approx(expected, rel=0.01)
    assert "The rules themselves took" in to_html(shared.report)
    calls.clear()
    alone = _copy(seeded, tmp_path, "alone-work.db", jobs=1, monkeypatch=monkeypatch)
    assert len(calls) >= batches * 0.8
    assert alone.report["transform_work"]["processes"] == 1
    assert alone.report["transform_work"]["seconds"] >= 0.03 * len(calls) * 0.9
