"""The transform of a large table on every core: batches to worker processes, in order.

The parent reads each batch, leaves out what must not be copied, unwraps production's
keys for the batch's people and hands rows and keys to a worker; the worker applies the
rules (fakes, opening and sealing) and hands back the copy's rows, the verification
digests it gathered and the people it made copy keys for (for a PostgreSQL copy, the rows
already in ``COPY`` text format, so the parent sends one buffer and unpacks no rows); the
parent writes the batches in the order read, so the copy is the same as a one-process
run's, byte for byte.

Workers are forked after the pre-pass, so they start with the rules, the fakes' keys and
the e-mail and user-name ranks; they never touch a database (the parent's engines are
emptied of connections before the fork, and workers end without running finalisers).
At most two batches per worker are in flight, so memory stays flat however large the table.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Self

from klaremont.sanitize.rawio import copy_text
from klaremont.sanitize.settings import SanitizeSettings
from klaremont.sanitize.transform import Evidence, Transformer, hex_of

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


Done = tuple[Rows | Packed, Evidence, list[str]]

_WORKER: dict[str, Any] = {}


def workers_wanted() -> int:
    """One worker per core (``KLAREMONT_SANITIZE_JOBS`` to choose; 1: no workers)."""
    chosen = SanitizeSettings().jobs
    return chosen if chosen is not None else max(1, os.cpu_count() or 1)


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
    new = transformer.apply(plan, names, rows)
    out: Rows | Packed = Packed(copy_text(new), len(new)) if packed else new
    return out, transformer.evidence, transformer.target.fresh


class Transforms:
    """Applies rules to batches, in worker processes for large tables."""

    def __init__(
        self,
        transformer: Transformer,
        plans: Iterable[TablePlan],
        jobs: int,
        release: Callable[[], None],
    ) -> None:
        """``release`` empties the parent's connection pools before workers are forked."""
        self.transformer = transformer
        self.plans = {p.name: p for p in plans}
        self.jobs = jobs
        self._release = release
        self._pool: Pool | None = None

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
            _WORKER.update(transformer=self.transformer, plans=self.plans)
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
                yield self.transformer.apply(plan, names, rows)
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
        new, evidence, fresh = result.get()
        self.transformer.evidence.merge(evidence)
        for subject in fresh:
            self.transformer.target.remember(subject)  # the parent writes it to the keystore
        return new
