"""The transform of a large table on every core: batches to worker processes, in order.

The parent reads each batch, leaves out what must not be copied, unwraps production's
keys for the batch's people and hands rows and keys to a worker; the worker applies the
rules (fakes, opening and sealing) and hands back the copy's rows, the verification
digests it gathered and the people it made copy keys for (for a PostgreSQL copy, the rows
already in ``COPY`` text format, so the parent sends one buffer and unpacks no rows); the
parent writes the batches in the order read, so the copy is the same as a one-process
run's, byte for byte.

SQLite to SQLite, workers read instead (:class:`RangeJob`): the parent hands each one a
range of the table's key; the worker reads it from the source file on a connection of its
own (opened after the fork, only read), leaves out the rows of people left out, counts
what the parent would have counted and transforms; the parent only writes, in key order.

Workers are forked after the pre-pass, so they start with the rules, the fakes' keys,
the e-mail and user-name ranks and production's unwrapped keys; they write to no database
(the parent's engines are emptied of connections before the fork, and workers end
without running finalisers). At most two batches per worker are in flight, so memory
stays flat however large the table. A worker's error always reaches the parent.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, ParamSpec, Self, TypeVar

from klaremont.sanitize.rawio import copy_text
from klaremont.sanitize.settings import SanitizeSettings
from klaremont.sanitize.transform import Evidence, Transformer, hex_of, norm_key

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

    from klaremont.sanitize.rules import TablePlan

#: a table with fewer rows than this is transformed in the parent (workers wait)
PARALLEL_FROM: Final = 10_000
Rows = list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Packed:
    """A batch a worker made ready for PostgreSQL's ``COPY`` (its rows in text format)."""

    data: bytes
    rows: int


#: a batch's rows, evidence, fresh subjects and the seconds the rules took in the worker
Done = tuple[Rows | Packed, Evidence, list[str], float]


_WORKER: dict[str, Any] = {}
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _passable(work: Callable[_P, _R]) -> Callable[_P, _R]:
    """A worker's job whose error always reaches the parent: an exception that cannot be
    rebuilt from its pickle would leave the parent's pool waiting for ever, so such an
    error is raised as a plain one with its type and message."""

    @functools.wraps(work)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return work(*args, **kwargs)
        except Exception as error:
            try:
                pickle.loads(pickle.dumps(error))  # noqa: S301 - our own error, just pickled here
            except Exception:  # noqa: BLE001 - any failure to rebuild it: pass it on plainly
                raise WorkerFailed(f"{type(error).__name__}: {error}") from None
            raise

    return run


class WorkerFailed(RuntimeError):
    """A worker process's error that could not be handed to the parent as it was."""


@dataclass(frozen=True, slots=True)
class RangeJob:
    """A batch a worker reads itself from the SQLite source: a range of the table's key,
    and what the parent needs counted in it (positions in the table's columns)."""

    table: str
    names: list[str]
    sql: str
    params: tuple[Any, ...]
    subject_at: list[int]  # whose rows: a row of someone left out is not copied
    referenced: list[int]  # columns other tables point at: the keys of rows left out
    uniques: dict[str, list[int]]  # unique sets: rows where none of the columns is empty


@dataclass(slots=True)
class RangeCounts:
    """What a worker counted in its range, for the parent's table counts."""

    read: int = 0
    left_out: int = 0
    dropped: dict[int, set[Any]] = field(default_factory=dict)
    unique: dict[str, int] = field(default_factory=dict)


#: a range's rows, evidence, fresh subjects, counts and the seconds the rules took
Ranged = tuple[Rows, Evidence, list[str], RangeCounts, float]


def _source() -> sqlite3.Connection:
    """The worker's own connection to the SQLite source (opened after the fork), only read."""
    found: sqlite3.Connection | None = _WORKER.get("connection")
    if found is None:
        found = _WORKER["connection"] = sqlite3.connect(_WORKER["source"])
        found.execute("PRAGMA query_only = ON")
    return found


@_passable
def _transform_range(job: RangeJob) -> Ranged:
    """In a worker: read a range of the source, leave out the rows of people left out,
    count, then the batch's rules as :func:`_transform` applies them."""
    batch = _source().execute(job.sql, job.params).fetchall()
    forms: frozenset[Any] = _WORKER["left_out"]
    counts = RangeCounts(read=len(batch), dropped={at: set() for at in job.referenced})
    rows: Rows = []
    for row in batch:
        if forms and any(row[i] in forms for i in job.subject_at):
            counts.left_out += 1
            for at in job.referenced:
                counts.dropped[at].add(norm_key(row[at]))
        else:
            rows.append(row)
    for name, places in job.uniques.items():
        counts.unique[name] = sum(1 for r in rows if all(r[i] is not None for i in places))
    transformer: Transformer = _WORKER["transformer"]
    transformer.evidence = transformer.new_evidence()
    transformer.target.fresh = []
    transformer.target.let_go()
    began = time.perf_counter()
    new = transformer.apply(_WORKER["plans"][job.table], job.names, rows)
    spent = time.perf_counter() - began
    return new, transformer.evidence, transformer.target.fresh, counts, spent


def workers_wanted() -> int:
    """One worker per core (``KLAREMONT_SANITIZE_JOBS`` to choose; 1: no workers)."""
    chosen = SanitizeSettings().jobs
    return chosen if chosen is not None else max(1, os.cpu_count() or 1)


@_passable
def _transform(job: tuple[str, list[str], Rows, dict[tuple[str, int], bytes], bool]) -> Done:
    """In a worker: one batch (packed for ``COPY`` when asked)."""
    table, names, rows, keys, packed = job
    transformer: Transformer = _WORKER["transformer"]
    plan: TablePlan = _WORKER["plans"][table]
    transformer.evidence = transformer.new_evidence()
    transformer.target.fresh = []
    transformer.target.let_go()
    transformer.source.forget()
    if plan.sealed and rows:
        at = names.index("subject_id")
        subjects = [hex_of(r[at]) for r in rows]
        transformer.source.take(subjects, keys)
    began = time.perf_counter()
    new = transformer.apply(plan, names, rows)
    spent = time.perf_counter() - began
    out: Rows | Packed = Packed(copy_text(new), len(new)) if packed else new
    return out, transformer.evidence, transformer.target.fresh, spent


class Transforms:
    """Applies rules to batches, in worker processes for large tables."""

    def __init__(
        self,
        transformer: Transformer,
        plans: Iterable[TablePlan],
        jobs: int,
        release: Callable[[], None],
        *,
        source: str | None = None,
        left_out: frozenset[Any] = frozenset(),
    ) -> None:
        """``release`` empties the parent's connection pools before workers are forked;
        ``source``: the SQLite source file workers may read ranges of; ``left_out``: the
        subjects whose rows are not copied, in every stored form."""
        self.transformer = transformer
        self.plans = {p.name: p for p in plans}
        self._worker_state = {"source": source, "left_out": left_out}
        self.jobs = jobs
        self._release = release
        self._pool: Pool | None = None
        #: seconds spent applying the rules, summed over every process that applied them
        self.work_seconds = 0.0

    def __enter__(self) -> Self:
        """Start the workers now, before any table's connection is open (a connection
        checked out while pools are emptied would stay open, and a fork would copy it)."""
        if self.jobs >= 2:  # noqa: PLR2004 - one worker is the parent itself
            self._workers()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def _workers(self) -> Pool:
        if self._pool is None:
            self._release()
            _WORKER.update(transformer=self.transformer, plans=self.plans, **self._worker_state)
            self._pool = multiprocessing.get_context("fork").Pool(self.jobs)
        return self._pool

    def run(
        self,
        plan: TablePlan,
        names: list[str],
        batches: Iterator[Rows],
        rows_in_table: int,
        *,
        packed: bool = False,
    ) -> Iterator[Rows | Packed]:
        """The copy's rows of each batch, in the order the batches come; with ``packed``,
        batches made in worker processes come ready for PostgreSQL's ``COPY``."""
        if self.jobs < 2 or rows_in_table < PARALLEL_FROM:  # noqa: PLR2004 - one worker: none
            for rows in batches:
                began = time.perf_counter()
                new = self.transformer.apply(plan, names, rows)
                self.work_seconds += time.perf_counter() - began
                yield new
            return
        pool = self._workers()
        at = names.index("subject_id") if plan.sealed else -1
        pending: deque[AsyncResult[Done]] = deque()
        for rows in batches:
            keys = (
                self.transformer.source.handed(hex_of(r[at]) for r in rows) if plan.sealed else {}
            )
            job = (plan.name, names, rows, keys, packed)
            pending.append(pool.apply_async(_transform, (job,)))
            if len(pending) >= 2 * self.jobs:
                yield self._collect(pending.popleft())
        while pending:
            yield self._collect(pending.popleft())

    def _collect(self, result: AsyncResult[Done]) -> Rows | Packed:
        new, evidence, fresh, spent = result.get()
        self._take(evidence, fresh)
        self.work_seconds += spent
        return new

    def _take(self, evidence: Evidence, fresh: list[str]) -> None:
        self.transformer.evidence.merge(evidence)
        for subject in fresh:
            self.transformer.target.remember(subject)  # the parent writes it to the keystore

    def run_ranges(self, jobs: Iterable[RangeJob]) -> Iterator[tuple[Rows, RangeCounts]]:
        """The copy's rows of each range and what was counted in it, in the order of the
        ranges; the workers read the source themselves (the parent only writes)."""
        pool = self._workers()
        pending: deque[AsyncResult[Ranged]] = deque()

        def collect() -> tuple[Rows, RangeCounts]:
            new, evidence, fresh, counts, spent = pending.popleft().get()
            self._take(evidence, fresh)
            self.work_seconds += spent
            return new, counts

        for job in jobs:
            pending.append(pool.apply_async(_transform_range, (job,)))
            if len(pending) >= 2 * self.jobs:
                yield collect()
        while pending:
            yield collect()
