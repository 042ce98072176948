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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, inspect, select, text, update
from sqlalchemy.engine import make_url

from klaremont.config import Environment, Settings
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.db.subjects import NOBODY
from klaremont.platform import Platform
from klaremont.sanitize.fakes import as_uuid
from klaremont.sanitize.rules import SUBJECT_COLUMNS, Plan, TablePlan
from klaremont.sanitize.transform import Transformer

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

    from klaremont.sanitize.fakes import Faker

BATCH = 2000
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
    unique_source: dict[str, int] = field(default_factory=dict)


class Copier:
    """Copies every kept table of ``plan`` from ``source`` into ``target``."""

    def __init__(self, source: Platform, target: Platform, faker: Faker, plan: Plan) -> None:
        """Bind both platforms; crypto contexts for opening and for sealing."""
        self.source = source
        self.target = target
        self.plan = plan
        self.faker = faker
        self.transformer = Transformer(
            faker, CryptoContext(source.keystore), CryptoContext(target.keystore)
        )
        self.counts: dict[str, TableCount] = {}
        self._left_out: dict[str, dict[str, set[Any]]] = {}

    def _rows(self, table: Table) -> Iterator[dict[str, Any]]:
        order = list(table.primary_key.columns)
        query = select(table).order_by(*order)
        with self.source.engine.connect() as conn:
            result = conn.execution_options(yield_per=BATCH).execute(query)
            for row in result.mappings():
                yield dict(row)

    def erased(self) -> set[Any]:
        """Subjects erased in production (NOBODY is no one and stays)."""
        table = next(t.table for t in self.plan.tables if t.name == "data_subjects")
        with self.source.engine.connect() as conn:
            found = conn.execute(select(table.c.id).where(table.c.erased_at.is_not(None)))
            return {as_uuid(v) for v in found.scalars()} - {NOBODY}

    def rank(self, erased: set[Any]) -> None:
        """The pre-pass: rank every value of the unique strategies (e-mails, user names).

        A person whose data key was destroyed (crypto-shredded) is erased too.
        """
        values: dict[str, set[str]] = {"email": set(), "username": set()}
        for plan in self.plan.kept():
            if not any(r.how in ("email", "username", "actor") for r in plan.rules.values()):
                continue
            for row in self._rows(plan.table):
                subject = row.get("subject_id")
                if subject is not None and as_uuid(subject) in erased:
                    continue
                try:
                    found = self.transformer.ranked_inputs(plan, row)
                except SubjectKeyDestroyed:
                    erased.add(as_uuid(subject))
                    continue
                for namespace, key in found:
                    values[namespace].add(key)
        for namespace, keys in values.items():
            self.faker.prepare_ranks(namespace, keys)

    def _excluded(self, plan: TablePlan, row: dict[str, Any], erased: set[Any]) -> bool:
        for column in SUBJECT_COLUMNS:
            if column in row and row[column] is not None and as_uuid(row[column]) in erased:
                return True
        for fk in plan.table.foreign_keys:
            value = row[fk.parent.name]
            gone = self._left_out.get(str(fk.column.table.name), {}).get(fk.column.name, set())
            if value is not None and value in gone:
                if not fk.parent.nullable:
                    return True
                row[fk.parent.name] = None
        return False

    def copy(self, progress: Progress | None = None) -> None:
        """Every kept table, parents before children."""
        erased = self.erased()
        self.rank(erased)
        for plan in self.plan.kept():
            self._copy_table(plan, erased, progress)

    def _copy_table(self, plan: TablePlan, erased: set[Any], progress: Progress | None) -> None:
        count = self.counts[plan.name] = TableCount()
        referenced = {
            fk.column.name
            for t in self.plan.tables
            for fk in t.table.foreign_keys
            if fk.column.table is plan.table
        }
        left: dict[str, set[Any]] = {c: set() for c in referenced}
        self._left_out[plan.name] = left
        uniques = unique_sets(plan.table)
        seen: dict[str, set[tuple[Any, ...]]] = {name: set() for name in uniques}
        batch: list[dict[str, Any]] = []
        # links within the table (a line manager) are set once every row is in
        own = [fk.parent.name for fk in plan.table.foreign_keys if fk.column.table is plan.table]
        later: list[dict[str, Any]] = []
        with self.target.engine.begin() as conn:
            for row in self._rows(plan.table):
                count.read += 1
                if self._excluded(plan, row, erased):
                    count.left_out += 1
                    for column in referenced:
                        left[column].add(row[column])
                    continue
                for name, columns in uniques.items():
                    key = tuple(row[c] for c in columns)
                    if None not in key:
                        seen[name].add(key)
                new = self.transformer.apply(plan, row)
                if any(new[c] is not None for c in own):
                    later.append({"pk_": new["id"], **{c: new[c] for c in own}})
                    new.update(dict.fromkeys(own, None))
                batch.append(new)
                if len(batch) >= BATCH:
                    self._write(conn, plan, batch, count, progress)
            if batch:
                self._write(conn, plan, batch, count, progress)
            if later:
                table = plan.table
                values: dict[str, Any] = {c: bindparam(c) for c in own}
                conn.execute(
                    update(table).where(table.c.id == bindparam("pk_")).values(values), later
                )
        count.unique_source = {name: len(values) for name, values in seen.items()}

    def _write(
        self,
        conn: Any,
        plan: TablePlan,
        batch: list[dict[str, Any]],
        count: TableCount,
        progress: Progress | None,
    ) -> None:
        conn.execute(plan.table.insert(), batch)
        count.written += len(batch)
        if progress is not None:
            progress(plan.name, len(batch))
        batch.clear()


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
