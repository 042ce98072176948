"""The three ways the sanitiser benchmark copies the same tables.

* plain: the tables the sanitiser copies (every table ``rules.toml`` does not drop), into a
  fresh database with the platform's migrations applied, on the same engine: PostgreSQL
  ``COPY (SELECT ...) TO STDOUT`` streamed into ``COPY ... FROM STDIN`` (binary, psycopg),
  SQLite ``INSERT INTO t SELECT ... FROM src.t`` through ``ATTACH`` in one transaction.
  No keys, no transformation.
* per-row: a straightforward Python sanitiser. Rows are read in order; every column whose
  rule is not ``keep`` gets an HMAC-SHA256-derived value (ids through an HMAC -> UUID map,
  so joins hold; text as hex of the value's length); sealed columns are opened with the
  production key and sealed again under a new data key per person (wrapped by the copy's
  key ring); blind indexes recomputed on the fake; inserted in batches of 2,000 with Core.
  With ``fraction`` < 1 only that share of each table is copied (foreign-key checks off
  for the slice) and the row part is scaled up.
* ours: ``klaremont sanitize run`` in a subprocess, timed from outside (its JSON report
  gives its own stages when the engine reports them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import psycopg
from sqlalchemy import create_engine, event, insert, select, text

import klaremont
from _stores import Copy, psycopg_url, settings_for
from klaremont.config import Environment, Settings
from klaremont.crypto.aead import DATA_KEY_BYTES, DataKey, seal_value
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.keystore import _wrap_aad
from klaremont.crypto.keystore_models import SubjectKey
from klaremont.db.base import Base
from klaremont.db.registry import load_all_models
from klaremont.platform import Platform

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

RULES_FILE: Final = Path(klaremont.__file__).parent / "sanitize" / "rules.toml"
BATCH: Final = 2000
KLAREMONT: Final = Path(sys.executable).with_name("klaremont")
BASELINE_KEY: Final = b"per-row baseline run key, bench only"
KEYS: Final = cast("Table", SubjectKey.__table__)


def copied_tables() -> list[tuple[Table, dict[str, str]]]:
    """Every table the sanitiser copies (not dropped by its rules), parents first, with the
    rule of each column as written."""
    load_all_models()
    rules = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))["tables"]
    return [
        (table, dict(rules[table.name]["columns"]))
        for table in Base.metadata.sorted_tables
        if table.name in rules and "drop" not in rules[table.name]
    ]


def copy_settings(url: str, keys: Path) -> Settings:
    """Settings of a platform on a copy with its own key folder (as the sanitiser makes)."""
    return Settings(environment=Environment.DEVELOPMENT, var_dir=keys, database_url=url,
                    keystore_url=f"sqlite:///{keys / 'keystore.db'}",
                    key_file=keys / "kek.json")  # fmt: skip


def migrated(url: str, keys: Path) -> Platform:
    """A platform on a fresh target with the migrations applied (its own keys in ``keys``)."""
    keys.mkdir(parents=True, exist_ok=True)
    target = Platform.build(copy_settings(url, keys))
    target.upgrade()
    return target


def _clear(conn: Any, tables: list[Table], quote: str = '"') -> None:
    """Rows the migrations put in the copied tables (the source's own take their place)."""
    for table in reversed(tables):
        conn.execute(f"DELETE FROM {quote}{table.name}{quote}")


def plain_copy(source: Copy, target_url: str, keys: Path) -> tuple[float, int, dict[str, Any]]:
    """The plain copy: wall seconds (migrations included), rows copied, the split."""
    tables = [t for t, _ in copied_tables()]
    started = time.perf_counter()
    migrated(target_url, keys).dispose()
    migrate_s = time.perf_counter() - started
    rows = 0
    if target_url.startswith("sqlite"):
        path = target_url.removeprefix("sqlite:///")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("ATTACH DATABASE ? AS src", (source.database_url.removeprefix("sqlite:///"),))
        conn.execute("BEGIN")
        _clear(conn, tables)
        for table in tables:
            cols = ", ".join(f'"{c.name}"' for c in table.columns)
            cursor = conn.execute(
                f'INSERT INTO main."{table.name}" ({cols}) SELECT {cols} FROM src."{table.name}"'
            )
            rows += cursor.rowcount
        conn.execute("COMMIT")
        conn.close()
    else:
        with psycopg.connect(source.database_url) as src, psycopg.connect(target_url) as dst:
            _clear(dst, tables)
            for table in tables:
                cols = ", ".join(f'"{c.name}"' for c in table.columns)
                out_sql = f'COPY (SELECT {cols} FROM "{table.name}") TO STDOUT (FORMAT BINARY)'
                in_sql = f'COPY "{table.name}" ({cols}) FROM STDIN (FORMAT BINARY)'
                writer = dst.cursor()
                with src.cursor().copy(out_sql) as out, writer.copy(in_sql) as into:
                    for block in out:
                        into.write(block)
                rows += writer.rowcount
    total = time.perf_counter() - started
    return total, rows, {"migrate_s": round(migrate_s, 2), "copy_s": round(total - migrate_s, 2),
                         "method": "sqlite INSERT ... SELECT through ATTACH"
                         if target_url.startswith("sqlite") else "psycopg binary COPY"}  # fmt: skip


def sealed_columns() -> dict[str, dict[str, str | None]]:
    """Table -> sealed column -> blind-index kind (the models' sealed fields)."""
    found: dict[str, dict[str, str | None]] = {}
    for mapper in Base.registry.mappers:
        for name, sealed in getattr(mapper.class_, "__sealed_fields__", {}).items():
            found.setdefault(str(getattr(mapper.local_table, "name", "")), {})[name] = sealed.index
    return found


class PerRow:
    """The straightforward per-row sanitiser (see the module docstring)."""

    def __init__(self, source: Platform, target: Platform) -> None:
        self.opener = CryptoContext(source.keystore)
        self.target = target
        self.ids: dict[uuid.UUID, uuid.UUID] = {}
        self.keys: dict[uuid.UUID, DataKey] = {}
        self.wrapped: list[dict[str, Any]] = []
        self.sealed = sealed_columns()

    def mac(self, *parts: object) -> bytes:
        message = "\x00".join(str(p) for p in parts).encode()
        return hmac.new(BASELINE_KEY, message, hashlib.sha256).digest()

    def new_id(self, value: Any) -> uuid.UUID:
        old = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        new = self.ids.get(old)
        if new is None:
            new = self.ids[old] = uuid.UUID(bytes=self.mac("id", old)[:16], version=4)
        return new

    def data_key(self, subject: uuid.UUID) -> DataKey:
        key = self.keys.get(subject)
        if key is None:
            raw = os.urandom(DATA_KEY_BYTES)
            key = self.keys[subject] = DataKey.from_bytes(subject, 1, raw)
            kek_id, wrapped = self.target.keyring.wrap(
                raw, _wrap_aad(SubjectKey(subject_id=subject, version=1))
            )
            self.wrapped.append({"subject_id": subject, "version": 1, "kek_id": kek_id,
                                 "wrapped": wrapped, "created_at": time_now(),
                                 "destroyed_at": None, "destroyed_reason": None})  # fmt: skip
        return key

    def fake(self, table: Table, column: str, rule: str, value: Any) -> Any:  # noqa: PLR0911 - one return per rule reads best
        if value is None or rule == "keep":
            return value
        if rule == "null":
            return None
        if rule == "pseudonymise:uuid":
            return self.new_id(value)
        if rule.startswith("generalise"):
            return "!unusable" if rule.endswith("password") else "{}"
        digest = self.mac(table.name, column, value)
        if rule == "pseudonymise:email":
            return f"{digest.hex()[:16]}@example.com"
        if rule in ("pseudonymise:phone", "pseudonymise:mobile"):
            return f"07{int.from_bytes(digest[:8]) % 10**9:09d}"
        length = getattr(table.c[column].type, "length", None) or 64
        return digest.hex()[: min(length, max(len(str(value)), 16))]

    def row(self, table: Table, rules: dict[str, str], row: dict[str, Any]) -> dict[str, Any]:
        sealed = self.sealed.get(table.name, {})
        out: dict[str, Any] = {}
        plain: dict[str, str] = {}
        for column, value in row.items():
            rule = rules[column]
            if rule.startswith("derived"):
                continue
            if column in sealed and value is not None:
                opened = self.opener.open(row["subject_id"], table.name, column, row["id"],
                                          bytes(value))  # fmt: skip
                plain[column] = self.fake(table, column, rule, opened)
            else:
                out[column] = self.fake(table, column, rule, value)
        for column in sealed:
            new = plain.get(column)
            out[column] = None if new is None else seal_value(
                self.data_key(out["subject_id"]), table.name, column, out["id"], new.encode()
            )  # fmt: skip
            kind = sealed[column]
            if kind is not None:
                out[f"{column}_bidx"] = (
                    None if new is None else self.target.keystore.indexer.index(kind, new)
                )
        return out


def time_now() -> Any:
    from datetime import UTC, datetime  # noqa: PLC0415 - only the key rows need it

    return datetime.now(UTC)


def _writer(url: str, *, sliced: bool) -> Engine:
    """An engine writing the copy; for a slice, with foreign-key checks off."""
    engine = create_engine(psycopg_url(url) if url.startswith("postgresql") else url)
    if sliced and url.startswith("postgresql"):

        @event.listens_for(engine, "connect")
        def _replica(dbapi: Any, _record: Any) -> None:
            with dbapi.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            dbapi.commit()

    return engine


def per_row(
    source: Copy, target_url: str, keys: Path, fraction: float = 1.0
) -> tuple[float, int, dict[str, Any]]:
    """The per-row baseline: wall seconds (scaled when sliced), rows written, details."""
    tables = copied_tables()
    started = time.perf_counter()
    target = migrated(target_url, keys)
    target.engine.dispose()
    origin = Platform.build(settings_for(source.var, source.database_url, source.keystore_url))
    fixed_s = time.perf_counter() - started
    work = PerRow(origin, target)
    reader = _writer(source.database_url, sliced=False)
    writer = _writer(target_url, sliced=fraction < 1)
    rows = 0
    with writer.begin() as conn:
        for table, _rules in reversed(tables):
            conn.execute(table.delete())
    for table, rules in tables:
        with reader.connect() as src:
            total = src.execute(select(text("count(*)")).select_from(table)).scalar_one()
            limit = total if fraction >= 1 else int(total * fraction)
            query = select(table).order_by(*table.primary_key.columns).limit(limit)
            batch: list[dict[str, Any]] = []
            with writer.begin() as conn:
                for found in src.execution_options(yield_per=BATCH).execute(query).mappings():
                    batch.append(work.row(table, rules, dict(found)))
                    if len(batch) >= BATCH:
                        conn.execute(insert(table), batch)
                        rows += len(batch)
                        batch = []
                if batch:
                    conn.execute(insert(table), batch)
                    rows += len(batch)
    with target.keystore_engine.begin() as conn:
        for start in range(0, len(work.wrapped), BATCH):
            conn.execute(insert(KEYS), work.wrapped[start : start + BATCH])
    rows_s = time.perf_counter() - started - fixed_s
    for engine in (reader, writer):
        engine.dispose()
    origin.dispose()
    target.dispose()
    scaled = rows_s / fraction if fraction < 1 else rows_s
    return fixed_s + scaled, round(rows / fraction) if fraction < 1 else rows, {
        "fixed_s": round(fixed_s, 2), "rows_s_measured": round(rows_s, 2),
        "rows_measured": rows, "fraction": fraction, "scaled": fraction < 1,
    }  # fmt: skip


def ours(
    source: Copy, target_url: str, keys: Path, key_file: Path, report: Path
) -> tuple[float, int, dict[str, Any]]:
    """``klaremont sanitize run`` as a subprocess: wall seconds, rows written, its report."""
    env = {**os.environ, "KLAREMONT_ENVIRONMENT": "test", "KLAREMONT_VAR_DIR": str(source.var),
           "KLAREMONT_DATABASE_URL": source.database_url,
           "KLAREMONT_KEYSTORE_URL": source.keystore_url}  # fmt: skip
    command = [str(KLAREMONT), "sanitize", "run", "--from", source.database_url, "--to",
               target_url, "--keys-dir", str(keys), "--key-file", str(key_file),
               "--json", str(report)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own CLI, arguments built here
    seconds = time.perf_counter() - started
    if not report.exists():  # exit 1 with a report: the copy failed verification (reported)
        msg = f"klaremont sanitize run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        raise RuntimeError(msg)
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return seconds, int(data["rows_written"]), data
