"""One table's counts as its batches go by, whoever reads them.

The parent reads a table's batches and leaves out the rows it must (erased people, people
outside a subset, rows that must point at a row left out); or, SQLite to SQLite with
workers, each worker reads a range of the table's key itself and counts the same things in
it. Either way the table ends with the rows read and left out, the keys of rows left out
that later tables point at (their rows are left out in turn), and for each unique set the
rows where none of its columns is empty (its values are distinct in the source, so that is
its distinct count among the rows copied; verification compares it with the copy's).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from klaremont.sanitize.transform import norm_key

if TYPE_CHECKING:
    from klaremont.sanitize.parallel import RangeCounts

Rows = list[tuple[Any, ...]]
Keep = Callable[[list[Any]], tuple[Rows, int, list[Any]]]


@dataclass
class TableCount:
    """Rows of one table: read, left out (erased people and what hangs on them), written."""

    read: int = 0
    left_out: int = 0
    written: int = 0
    transform_seconds: float = 0.0
    unique_source: dict[str, int] = field(default_factory=dict)


@dataclass
class Tally:
    """What is counted of one table's batches (positions in its columns)."""

    names: list[str]
    referenced: list[int]  # columns other tables point at
    uniques: dict[str, list[int]]  # unique set -> its columns
    count: TableCount = field(default_factory=TableCount)
    left: dict[str, set[Any]] = field(default_factory=dict)  # column -> keys left out
    read_seconds: float = 0.0  # the parent's, leaving rows out and counting

    def __post_init__(self) -> None:
        """Every referenced column starts with no key left out; every set with no row."""
        self.left = {self.names[i]: set() for i in self.referenced}
        self.count.unique_source = dict.fromkeys(self.uniques, 0)

    def filtered(self, batches: Iterable[list[Any]], keep: Keep) -> Iterator[Rows]:
        """The parent's way: each batch read, ``keep`` applied, counted."""
        for batch in batches:
            began = time.perf_counter()
            rows, left_out, dropped = keep(batch)
            self.count.read += len(batch)
            self.count.left_out += left_out
            for row in dropped:
                for place in self.referenced:
                    self.left[self.names[place]].add(norm_key(row[place]))
            unique = self.count.unique_source
            for name, places in self.uniques.items():
                unique[name] += sum(1 for r in rows if all(r[i] is not None for i in places))
            self.read_seconds += time.perf_counter() - began
            yield rows

    def ranged(self, results: Iterable[tuple[Rows, RangeCounts]]) -> Iterator[Rows]:
        """The workers' way: what each worker counted in its range, added up."""
        for rows, got in results:
            self.count.read += got.read
            self.count.left_out += got.left_out
            for at, keys in got.dropped.items():
                self.left[self.names[at]] |= keys
            for name, found in got.unique.items():
                self.count.unique_source[name] += found
            yield rows
