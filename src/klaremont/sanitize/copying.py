"""Writes a sanitised copy: the platform's migrations on a fresh target, then the rows.

The target is made fresh and whole or not at all. A SQLite copy is written to a
``.partial`` file (and its keys to a ``.partial`` folder) renamed into place only after
verification; a PostgreSQL target must be empty and is emptied again if the run fails or
is interrupted. The copy gets its own key-encryption key and keystore; no production
ciphertext, keystore, key or audit event is copied (the audit tables are dropped, so the
copy starts a fresh chain).

Rows are read in primary-key order, so the same source and run key give the same copy.
People erased in production (``data_subjects.erased_at``; the NOBODY subject that
anonymised records point at is kept) never appear: their rows are left out, and so are
rows that must point at a row left out; a nullable link to one is cleared.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, event, inspect, select, text, update
from sqlalchemy.engine import make_url

from klaremont.config import Environment, Settings
from klaremont.db.subjects import NOBODY
from klaremont.platform import Platform
from klaremont.sanitize import rawio
from klaremont.sanitize.copykeys import SourceKeys
from klaremont.sanitize.rules import SUBJECT_COLUMNS, Plan, TablePlan
from klaremont.sanitize.transform import Transformer, hex_of, norm_key

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

    from klaremont.sanitize.copykeys import CopyKeys
    from klaremont.sanitize.fakes import Faker

Progress = Callable[[str, int], None]  # (table, rows just written)


class TargetRefused(Exception):
    """The target cannot take a fresh copy (named, with why)."""


@dataclass(frozen=True)
class CopyPlace:
    """Where the copy and its own keys go, and where they are built first."""

    url: str
    keys_dir: Path
    partial_url: str
    partial_keys: Path

    @property
    def is_sqlite(self) -> bool:
        """A SQLite file target."""
        return self.url.startswith("sqlite")

    @property
    def file(self) -> Path | None:
        """The SQLite file, if the target is one."""
        return Path(make_url(self.url).database or "") if self.is_sqlite else None

    def settings(self, *, partial: bool = False) -> Settings:
        """Settings of a platform on the copy (the app starts with these)."""
        keys = self.partial_keys if partial else self.keys_dir
        return Settings(
            environment=Environment.DEVELOPMENT,
            var_dir=keys,
            database_url=self.partial_url if partial else self.url,
            keystore_url=f"sqlite:///{keys / 'keystore.db'}",
            key_file=keys / "kek.json",
        )


def place(url: str, keys_dir: Path | None) -> CopyPlace:
    """Where a copy to ``url`` is written; refuses a target that is not fresh."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            raise TargetRefused("--to: a SQLite copy needs a file path")
        path = Path(parsed.database).resolve()
        keys = keys_dir or path.with_name(path.name + ".keys")
        for existing in (path, keys):
            if existing.exists():
                raise TargetRefused(f"--to: {existing} already exists; a copy is written fresh")
        partial = path.with_name(path.name + ".partial")
        for stale in (partial, keys.with_name(keys.name + ".partial")):
            remove(stale)
        return CopyPlace(
            f"sqlite:///{path}",
            keys,
            f"sqlite:///{partial}",
            keys.with_name(keys.name + ".partial"),
        )
    if parsed.get_backend_name() != "postgresql":
        raise TargetRefused("--to: only SQLite files and PostgreSQL databases are supported")
    if keys_dir is None:
        raise TargetRefused("--keys-dir: a PostgreSQL copy needs a folder for its own keys")
    if keys_dir.exists():
        raise TargetRefused(f"--keys-dir: {keys_dir} already exists; a copy is written fresh")
    return CopyPlace(url, keys_dir, url, keys_dir.with_name(keys_dir.name + ".partial"))


def remove(path: Path) -> None:
    """Delete a file or folder if present."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    for side in ("-wal", "-shm", "-journal"):
        sibling = path.with_name(path.name + side)
        if sibling.exists():
            sibling.unlink()


def refuse_non_empty(engine: Engine) -> None:
    """A PostgreSQL target must hold no tables."""
    names = inspect(engine).get_table_names()
    if names:
        raise TargetRefused(f"--to: the target database is not empty ({len(names)} tables)")


def discard(copy: CopyPlace, target: Platform | None) -> None:
    """Remove everything a failed or interrupted run wrote."""
    if target is not None:
        target.dispose()
    if copy.is_sqlite:
        remove(Path(make_url(copy.partial_url).database or ""))
    else:
        engine = target.engine if target is not None else None
        if engine is not None:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
    remove(copy.partial_keys)


def zero_freed_space(target: Platform) -> None:
    """SQLite: freed bytes zeroed on every connection of the copy (``secure_delete``), so
    nothing a migration wrote and removed lingers in free space and the same source and
    run key give the same file byte for byte."""
    if target.engine.dialect.name != "sqlite":
        return

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA secure_delete = ON")

    event.listen(target.engine, "connect", on_connect)
    target.engine.dispose()


def settle(copy: CopyPlace, target: Platform) -> None:
    """Fold a SQLite copy's write-ahead log into its one file (what is scanned and shipped)."""
    if not copy.is_sqlite:
        return
    target.engine.dispose()
    conn = sqlite3.connect(make_url(copy.partial_url).database or "", isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def promote(copy: CopyPlace) -> None:
    """Move a verified SQLite copy and its keys into place."""
    if copy.is_sqlite and copy.file is not None:
        Path(make_url(copy.partial_url).database or "").rename(copy.file)
    copy.partial_keys.rename(copy.keys_dir)


@dataclass
class TableCount:
    """Rows of one table: read, left out (erased people and what hangs on them), written."""

    read: int = 0
    left_out: int = 0
    written: int = 0
    transform_seconds: float = 0.0
    unique_source: dict[str, int] = field(default_factory=dict)


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
    ) -> None:
        """Bind both platforms; production's keys for opening, the copy's for sealing;
        ``subset``: the share of customers to copy (a keyed sample)."""
        self.subset = subset
        self.sampled_out = 0
        self.same_engine = rawio.same_engine(source.engine, target.engine)
        self.source = source
        self.target = target
        self.plan = plan
        self.faker = faker
        self.keys = keys
        self.source_keys = SourceKeys(source.keystore)
        self.transformer = Transformer(faker, self.source_keys, keys, target.keystore.indexer)
        self.counts: dict[str, TableCount] = {}
        self.stages: dict[str, float] = {"read": 0.0, "transform": 0.0, "write": 0.0}
        self._left_out: dict[str, dict[str, set[Any]]] = {}

    def raw(self, plan: TablePlan) -> bool:
        """Rows go through as stored: same engine, and no link within the table (those
        rows are written through SQLAlchemy, the links set once every row is in)."""
        own = any(fk.column.table is plan.table for fk in plan.table.foreign_keys)
        return self.same_engine and not own

    def _batches(self, plan: TablePlan) -> Iterator[list[Any]]:
        began = time.perf_counter()
        for part in rawio.read_batches(self.source.engine, plan.table, raw=self.raw(plan)):
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
            if not any(r.how in ("email", "username", "actor") for r in plan.rules.values()):
                continue
            names = [str(c.name) for c in plan.table.columns]
            subject_at = names.index("subject_id") if "subject_id" in names else None
            for batch in self._batches(plan):
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
        self.rank(erased)
        for plan in self.plan.kept():
            self._copy_table(plan, erased, progress)

    def _exclusions(
        self, plan: TablePlan, names: list[str], erased: set[Any]
    ) -> Callable[[list[Any]], tuple[list[tuple[Any, ...]], int, list[Any]]]:
        """A filter over a batch: the rows kept (links to left-out rows cleared), how many
        were left out, and those left out."""
        subject_at = [names.index(c) for c in SUBJECT_COLUMNS if c in names]
        links = []
        for fk in plan.table.foreign_keys:
            gone = self._left_out.get(str(fk.column.table.name), {}).get(fk.column.name)
            if gone:
                links.append((names.index(fk.parent.name), gone, bool(fk.parent.nullable)))

        def keep(batch: list[Any]) -> tuple[list[tuple[Any, ...]], int, list[Any]]:
            if not subject_at and not links:
                return [tuple(r) for r in batch], 0, []
            kept: list[tuple[Any, ...]] = []
            dropped: list[Any] = []
            for row in batch:
                if any(row[i] is not None and hex_of(row[i]) in erased for i in subject_at):
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

    def _copy_table(self, plan: TablePlan, erased: set[Any], progress: Progress | None) -> None:
        count = self.counts[plan.name] = TableCount()
        table = plan.table
        names = [str(c.name) for c in table.columns]
        referenced = {
            fk.column.name
            for t in self.plan.tables
            for fk in t.table.foreign_keys
            if fk.column.table is table
        }
        left: dict[str, set[Any]] = {c: set() for c in referenced}
        self._left_out[plan.name] = left
        keep = self._exclusions(plan, names, erased)
        uniques = {n: [names.index(c) for c in cols] for n, cols in unique_sets(table).items()}
        seen: dict[str, set[tuple[Any, ...]]] = {name: set() for name in uniques}
        # links within the table (a line manager) are set once every row is in
        own = [names.index(fk.parent.name) for fk in table.foreign_keys if fk.column.table is table]
        id_at = names.index("id") if "id" in names else None
        later: list[dict[str, Any]] = []
        with self.target.engine.begin() as conn:
            writer = rawio.Writer(conn, table, raw=self.raw(plan))
            for batch in self._batches(plan):
                began = time.perf_counter()
                rows, left_out, dropped = keep(batch)
                count.read += len(batch)
                count.left_out += left_out
                for row in dropped:
                    for column in referenced:
                        left[column].add(norm_key(row[names.index(column)]))
                for name, at in uniques.items():
                    seen[name].update(
                        k for k in (tuple(r[i] for i in at) for r in rows) if None not in k
                    )
                new = self.transformer.apply(plan, names, rows)
                if own and id_at is not None:
                    new = self._defer_own_links(new, own, id_at, names, later)
                spent = time.perf_counter() - began
                self.stages["transform"] += spent
                count.transform_seconds += spent
                began = time.perf_counter()
                writer.write(new)
                self.target_keys_written(plan)
                self.stages["write"] += time.perf_counter() - began
                count.written += len(new)
                if progress is not None:
                    progress(plan.name, len(batch))
            if later:
                values: dict[str, Any] = {names[i]: bindparam(names[i]) for i in own}
                conn.execute(
                    update(table).where(table.c.id == bindparam("pk_")).values(values), later
                )
        count.unique_source = {name: len(values) for name, values in seen.items()}

    @staticmethod
    def _defer_own_links(
        rows: list[tuple[Any, ...]],
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
