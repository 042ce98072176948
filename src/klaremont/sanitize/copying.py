"""Writes a sanitised copy's rows: every kept table, parents before children.

The copy gets its own key-encryption key and keystore; no production ciphertext,
keystore, key or audit event is copied (the audit tables are dropped, so the copy starts a
fresh chain). Rows are read in primary-key order, so the same source and run key give the
same copy. People erased in production (``data_subjects.erased_at``, or a destroyed data
key; the NOBODY subject that anonymised records point at is kept), and with ``--subset``
the customers outside the sample, never appear: their rows are left out, and so are rows
that must point at a row left out; a nullable link to one is cleared.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update

from klaremont.db.subjects import NOBODY
from klaremont.sanitize import parallel, rawio
from klaremont.sanitize.copykeys import SourceKeys
from klaremont.sanitize.parallel import Packed, RangeJob, Transforms, workers_wanted
from klaremont.sanitize.rules import SUBJECT_COLUMNS, Plan, TablePlan
from klaremont.sanitize.tally import TableCount, Tally
from klaremont.sanitize.transform import Transformer, dashed, hex_of, norm_key

if TYPE_CHECKING:
    from sqlalchemy import Table

    from klaremont.platform import Platform
    from klaremont.sanitize.copykeys import CopyKeys
    from klaremont.sanitize.fakes import Faker

Progress = Callable[[str, int], None]  # (table, rows just written)


class Copier:
    """Copies every kept table of ``plan`` from ``source`` into ``target``, a batch at a time."""

    def __init__(
        self,
        source: Platform,
        target: Platform,
        faker: Faker,
        plan: Plan,
        keys: CopyKeys,
        *,
        subset: float | None = None,
        jobs: int | None = None,
    ) -> None:
        """Bind both platforms; production's keys for opening, the copy's for sealing;
        ``subset``: the share of customers to copy (a keyed sample)."""
        self.subset = subset
        self.sampled_out = 0
        self.same_engine = rawio.same_engine(source.engine, target.engine)
        self.jobs = workers_wanted() if jobs is None else jobs
        self.source = source
        self.target = target
        self.plan = plan
        self.faker = faker
        self.keys = keys
        self.source_keys = SourceKeys(source.keystore)
        self.transformer = Transformer(faker, self.source_keys, keys, target.keystore.indexer)
        self.counts: dict[str, TableCount] = {}
        self.stages: dict[str, float] = {"keys": 0.0, "read": 0.0, "transform": 0.0, "write": 0.0}
        #: seconds the rules took, summed over the processes that applied them (the
        #: "transform" stage is what the parent waited for, the rest overlapping its writes)
        self.transform_work = 0.0
        self._left_out: dict[str, dict[str, set[Any]]] = {}

    def raw(self, plan: TablePlan) -> bool:
        """Rows go through as stored: same engine, and no link within the table (those
        rows are written through SQLAlchemy, the links set once every row is in)."""
        own = any(fk.column.table is plan.table for fk in plan.table.foreign_keys)
        return self.same_engine and not own

    def _batches(self, plan: TablePlan, only: list[str] | None = None) -> Iterator[list[Any]]:
        began = time.perf_counter()
        raw = self.raw(plan)
        for part in rawio.read_batches(self.source.engine, plan.table, raw=raw, only=only):
            self.stages["read"] += time.perf_counter() - began
            yield part
            began = time.perf_counter()

    def erased(self) -> set[Any]:
        """Subjects erased in production, or whose data key was destroyed (crypto-shredded);
        the NOBODY subject is no one and stays."""
        table = next(t.table for t in self.plan.tables if t.name == "data_subjects")
        with self.source.engine.connect() as conn:
            found = conn.execute(select(table.c.id).where(table.c.erased_at.is_not(None)))
            marked = {hex_of(v) for v in found.scalars()}
        return (marked | self.source_keys.destroyed_subjects()) - {NOBODY.hex}

    def not_sampled(self) -> set[Any]:
        """With a subset: the customers' subjects outside the keyed sample. Their rows, and
        rows that must point at them, are left out as an erased person's are (links that
        may be empty are cleared), so the subset is closed under foreign keys. Staff and
        records of no one are copied whole."""
        if self.subset is None:
            return set()
        table = next(t.table for t in self.plan.tables if t.name == "customers")
        with self.source.engine.connect() as conn:
            subjects = [hex_of(v) for v in conn.execute(select(table.c.subject_id)).scalars()]
        left = {s for s in subjects if not self.faker.sampled(bytes.fromhex(s), self.subset)}
        self.sampled_out = len(left)
        return left

    def rank(self, erased: set[Any]) -> None:
        """The pre-pass: rank every value of the unique strategies (e-mails, user names)."""
        values: dict[str, set[str]] = {"email": set(), "username": set()}
        for plan in self.plan.kept():
            ranked = self.transformer.ranked_columns(plan)
            if not ranked:
                continue
            # only what ranking reads: the ranked columns, and whose and which row they are
            names = [
                str(c.name)
                for c in plan.table.columns
                if c.name in ranked or c.name in ("id", "subject_id")
            ]
            subject_at = names.index("subject_id") if "subject_id" in names else None
            for batch in self._batches(plan, names):
                rows = batch
                if subject_at is not None:
                    rows = [
                        r
                        for r in batch
                        if r[subject_at] is None or hex_of(r[subject_at]) not in erased
                    ]
                for namespace, key in self.transformer.ranked_inputs(plan, names, rows):
                    values[namespace].add(key)
        for namespace, keys in values.items():
            self.faker.prepare_ranks(namespace, keys)

    def copy(self, progress: Progress | None = None) -> None:
        """Every kept table, parents before children."""
        erased = self.erased() | self.not_sampled()
        if self.jobs >= 2:  # noqa: PLR2004 - one job: no workers
            began = time.perf_counter()
            self.source_keys.load_all()  # workers start with every key
            self.stages["keys"] = time.perf_counter() - began
        self.rank(erased)
        source = self.source.engine.url.database if self._workers_read() else None
        with Transforms(
            self.transformer,
            self.plan.kept(),
            self.jobs,
            self._release,
            source=source,
            left_out=stored_forms(erased),
        ) as transforms:
            for plan in self.plan.kept():
                self._copy_table(plan, erased, progress, transforms)
        self.transform_work = transforms.work_seconds

    def _workers_read(self) -> bool:
        """Worker processes read ranges of the source themselves: SQLite to SQLite (a
        file every process may open), with workers."""
        sqlite = self.source.engine.dialect.name == "sqlite"
        return sqlite and self.same_engine and self.jobs >= 2  # noqa: PLR2004 - one job: none

    def _release(self) -> None:
        """Close every pooled connection (before worker processes are forked)."""
        for engine in (
            self.source.engine,
            self.source.keystore_engine,
            self.target.engine,
            self.target.keystore_engine,
        ):
            engine.dispose()

    def _links_to_left_out(
        self, plan: TablePlan, names: list[str]
    ) -> list[tuple[int, set[Any], bool]]:
        """The table's links to rows left out of tables copied before it: (position, the
        keys left out, whether the link may be empty)."""
        links = []
        for fk in plan.table.foreign_keys:
            gone = self._left_out.get(str(fk.column.table.name), {}).get(fk.column.name)
            if gone:
                links.append((names.index(fk.parent.name), gone, bool(fk.parent.nullable)))
        return links

    def _exclusions(
        self, plan: TablePlan, names: list[str], erased: set[Any]
    ) -> Callable[[list[Any]], tuple[list[tuple[Any, ...]], int, list[Any]]]:
        """A filter over a batch: the rows kept (links to left-out rows cleared), how many
        were left out, and those left out."""
        subject_at = [names.index(c) for c in SUBJECT_COLUMNS if c in names]
        forms = stored_forms(erased) if subject_at else frozenset()
        links = self._links_to_left_out(plan, names)

        def keep(batch: list[Any]) -> tuple[list[tuple[Any, ...]], int, list[Any]]:
            if not forms and not links:
                return [tuple(r) for r in batch], 0, []
            kept: list[tuple[Any, ...]] = []
            dropped: list[Any] = []
            for row in batch:
                if any(row[i] in forms for i in subject_at):
                    dropped.append(row)
                    continue
                values = list(row)
                for at, gone, nullable in links:
                    if values[at] is not None and norm_key(values[at]) in gone:
                        if not nullable:
                            dropped.append(row)
                            break
                        values[at] = None
                else:
                    kept.append(tuple(values))
            return kept, len(dropped), dropped

        return keep

    def _copy_table(
        self,
        plan: TablePlan,
        erased: set[Any],
        progress: Progress | None,
        transforms: Transforms,
    ) -> None:
        table = plan.table
        names = [str(c.name) for c in table.columns]
        pointed_at = {
            fk.column.name
            for t in self.plan.tables
            for fk in t.table.foreign_keys
            if fk.column.table is table
        }
        tally = Tally(
            names,
            [names.index(c) for c in pointed_at],
            {n: [names.index(c) for c in cols] for n, cols in unique_sets(table).items()},
        )
        self.counts[plan.name] = count = tally.count
        self._left_out[plan.name] = tally.left
        # links within the table (a line manager) are set once every row is in
        own = [names.index(fk.parent.name) for fk in table.foreign_keys if fk.column.table is table]
        id_at = names.index("id") if "id" in names else None
        later: list[dict[str, Any]] = []
        defer = None
        if own and id_at is not None:
            defer = partial(self._defer_own_links, own=own, id_at=id_at, names=names, later=later)
        size = self._size(plan)
        bounds = self._key_ranges(plan, names, size, tally)
        with self.target.engine.begin() as conn:
            writer = rawio.Writer(conn, table, raw=self.raw(plan))
            results: Iterator[list[tuple[Any, ...]] | Packed]
            if bounds is not None:
                subject_at = [names.index(c) for c in SUBJECT_COLUMNS if c in names]
                jobs = (
                    RangeJob(plan.name, names, *rawio.range_sql(table, after, up_to),
                             subject_at, tally.referenced, tally.uniques)
                    for after, up_to in bounds
                )  # fmt: skip
                results = tally.ranged(transforms.run_ranges(jobs))
            else:
                keep = self._exclusions(plan, names, erased)
                batches = tally.filtered(self._batches(plan), keep)
                packed = self.raw(plan) and writer.postgresql
                results = transforms.run(plan, names, batches, size, packed=packed)
            while True:
                began, read_before = time.perf_counter(), self.stages["read"] + tally.read_seconds
                new = next(results, None)
                if new is None:
                    break
                waited = time.perf_counter() - began
                spent = waited - (self.stages["read"] + tally.read_seconds - read_before)
                self.stages["transform"] += spent
                count.transform_seconds += spent
                began = time.perf_counter()
                written = _write(writer, new, defer)
                self.target_keys_written(plan)
                self.stages["write"] += time.perf_counter() - began
                count.written += written
                if progress is not None:
                    progress(plan.name, written)
            if later:
                values: dict[str, Any] = {names[i]: bindparam(names[i]) for i in own}
                conn.execute(
                    update(table).where(table.c.id == bindparam("pk_")).values(values), later
                )
        self.stages["read"] += tally.read_seconds

    def _key_ranges(
        self, plan: TablePlan, names: list[str], size: int, tally: Tally
    ) -> list[tuple[Any, Any]] | None:
        """Ranges of the table's key for workers to read, when they may: SQLite to SQLite
        with workers, rows as stored, a large table, a key of one column, and no link to a
        row left out of an earlier table (that filter needs those keys: the parent reads)."""
        if not (
            self._workers_read()
            and self.raw(plan)
            and size >= parallel.PARALLEL_FROM
            and not self._links_to_left_out(plan, names)
        ):
            return None
        began = time.perf_counter()
        bounds = rawio.key_ranges(self.source.engine, plan.table)
        tally.read_seconds += time.perf_counter() - began
        return bounds

    def _size(self, plan: TablePlan) -> int:
        """Rows in the source table (whether to use worker processes)."""
        with self.source.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(plan.table)).scalar_one())

    @staticmethod
    def _defer_own_links(
        rows: list[tuple[Any, ...]],
        *,
        own: list[int],
        id_at: int,
        names: list[str],
        later: list[dict[str, Any]],
    ) -> list[tuple[Any, ...]]:
        out = []
        for row in rows:
            if any(row[i] is not None for i in own):
                later.append({"pk_": row[id_at], **{names[i]: row[i] for i in own}})
                values = list(row)
                for i in own:
                    values[i] = None
                row = tuple(values)  # noqa: PLW2901 - the row as written first
            out.append(row)
        return out

    def target_keys_written(self, plan: TablePlan) -> None:
        """The copy's data keys made by the batch, into the copy's keystore."""
        if plan.sealed:
            self.keys.store_fresh(self.target.keystore_engine, self.target.keyring)


def _write(
    writer: rawio.Writer,
    new: list[tuple[Any, ...]] | Packed,
    defer: Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]] | None,
) -> int:
    """Write one batch (packed for ``COPY`` by a worker, or rows; links within the table
    held back by ``defer``); how many rows."""
    if isinstance(new, Packed):
        writer.write_copy_text(new.data)
        return new.rows
    if defer is not None:
        new = defer(new)
    writer.write(new)
    return len(new)


def stored_forms(ids: set[str]) -> frozenset[Any]:
    """Ids (32 hex digits) in every form a row may hold them: 32 hex digits (SQLite), 36
    with dashes (PostgreSQL read as text) and ``uuid.UUID`` (read through SQLAlchemy)."""
    return frozenset(form for h in ids for form in (h, dashed(h), uuid.UUID(hex=h)))


def unique_sets(table: Table) -> dict[str, tuple[str, ...]]:
    """Each unique constraint or index of ``table`` (not the primary key) by a readable name."""
    from sqlalchemy import UniqueConstraint  # noqa: PLC0415 - local: only this helper needs it

    found: dict[str, tuple[str, ...]] = {}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = tuple(str(c.name) for c in constraint.columns)
            found[", ".join(columns)] = columns
    for index in table.indexes:
        if index.unique:
            columns = tuple(str(c.name) for c in index.columns)
            found[", ".join(columns)] = columns
    return found
