"""The verifier: worker processes, progress, the database-built encoding, every stored byte."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from audithelp import ALICE, BACKEND, Tamper, Writer, drop_triggers, only_sqlite, rows
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from klaremont.audit.log import AuditLog
from klaremont.audit.report import BreakKind
from klaremont.audit.scan import RangeScanner, driver_cursor
from klaremont.audit.verify import db_spec
from klaremont.staff.actions import StaffAction

FIXTURES = [HealthCheck.function_scoped_fixture]
TEXT_COLUMNS = (
    "occurred_at",
    "actor_type",
    "actor_id",
    "action",
    "outcome",
    "origin",
    "resource",
    "purpose",
    "request_id",
    "details",
    "prev_hash",
    "hash",
)


def test_empty_log_verifies(audit: AuditLog, engine: Engine) -> None:
    """A log with no events and no checkpoints is sound."""
    report = audit.verify(engine)
    assert report.ok
    assert (report.events, report.last_seq, report.unsealed_tail) == (0, 0, 0)


def test_emptied_log_is_truncated(writer: Writer, engine: Engine, tamper: Tamper) -> None:
    """Deleting every event is caught by the checkpoints: truncated at event 1."""
    writer.many(2)
    tamper("DELETE FROM audit_events")
    report = writer.audit.verify(engine)
    assert (report.first_broken, report.kind) == (1, BreakKind.TRUNCATED)


@pytest.mark.policy("IS-USE-MONITOR")
def test_worker_processes_check_the_chain_and_report_progress(
    writer: Writer, engine: Engine
) -> None:
    """With two worker processes and small ranges, the log verifies and progress reaches the end."""
    writer.many(60)
    seen: list[tuple[int, int]] = []
    report = writer.audit.verify(
        engine, workers=2, chunk_size=7, progress=lambda done, total: seen.append((done, total))
    )
    assert report.ok, report.findings
    assert report.events == 60
    assert seen[-1] == (60, 60)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.policy("IS-USE-MONITOR")
def test_worker_processes_find_the_first_break(
    writer: Writer, engine: Engine, tamper: Tamper
) -> None:
    """Two edits in different ranges: the workers' result names the earlier one."""
    writer.many(60)
    tamper(
        "UPDATE audit_events SET resource = 'x' WHERE seq = 51",
        "UPDATE audit_events SET resource = 'y' WHERE seq = 23",
    )
    report = writer.audit.verify(engine, workers=2, chunk_size=5)
    assert (report.first_broken, report.kind) == (23, BreakKind.EDITED)


def test_worker_connection_spec(engine: Engine) -> None:
    """Workers reach the same database: a SQLite path or a PostgreSQL URL with credentials."""
    spec = db_spec(engine)
    assert spec is not None
    assert spec.dialect == BACKEND
    if BACKEND == "sqlite":
        assert Path(spec.target).is_absolute()
    else:
        assert spec.target.startswith("postgresql://")


@only_sqlite("a TEXT column accepts a BLOB there; PostgreSQL refuses the edit itself")
def test_value_the_database_cannot_encode_is_reported(
    writer: Writer, engine: Engine, tamper: Tamper
) -> None:
    """A BLOB smuggled into a text column (SQLite) is reported as that event, edited."""
    writer.many(5)
    tamper("UPDATE audit_events SET details = CAST(details AS BLOB) WHERE seq = 3")
    report = writer.audit.verify(engine)
    assert (report.first_broken, report.kind) == (3, BreakKind.EDITED)


@only_sqlite("in-memory databases exist only on SQLite")
def test_in_memory_database_is_checked_inline(audit: AuditLog) -> None:
    """An in-memory database cannot be reached by workers, so it is checked in-process."""
    from audithelp import create_audit_tables  # noqa: PLC0415

    from klaremont.db.engine import make_engine  # noqa: PLC0415

    memory = make_engine("sqlite://")
    try:
        create_audit_tables(memory)
        assert db_spec(memory) is None
        factory = sessionmaker(memory)
        with factory.begin() as session:
            audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
        assert audit.verify(memory, workers=2).ok
    finally:
        memory.dispose()


printable = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\x7f"), max_size=40
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | printable,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(printable, inner, max_size=3),
    max_leaves=8,
)


@pytest.mark.policy("IS-USE-MONITOR")
@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(
    resource=printable,
    purpose=st.none() | printable.map(lambda s: s[:64]),
    details=st.dictionaries(st.sampled_from(["a", "b", "note", "ü"]), json_values, max_size=3),
)
def test_database_builds_the_same_encoding_as_python(
    audit: AuditLog,
    sessions: sessionmaker[Session],
    engine: Engine,
    *,
    resource: str,
    purpose: str | None,
    details: dict[str, object],
) -> None:
    """Property: for any text the writer accepts, the database's encoding hashes the same."""
    try:
        with sessions.begin() as session:
            event = audit.record(
                session,
                action=StaffAction.AUTH_LOGIN,
                actor=ALICE,
                resource=resource,
                purpose=purpose,
                details=details,
            )
    except ValueError:
        reject()  # refused as card data; nothing to compare
    raw = engine.raw_connection()
    try:
        errors = (engine.dialect.loaded_dbapi.Error,)
        scanner = RangeScanner(raw.driver_connection, engine.dialect.name, errors=errors)
        result = scanner.scan(event.seq, event.seq)
    finally:
        raw.close()
    assert result.anomaly is None, (result, event.as_dict())


@pytest.fixture
def sealed_rows(writer: Writer, engine: Engine) -> list[dict[str, object]]:
    """Six sealed events with every field filled, and no triggers in the way of edits."""
    writer.many(6)
    drop_triggers(engine)
    return rows(engine)


def _set(engine: Engine, column: str, value: object, where_seq: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE audit_events SET {column} = :v WHERE seq = :s"),
            {"v": value, "s": where_seq},
        )


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURES)
@given(data=st.data())
def test_any_single_byte_edit_is_detected(
    audit: AuditLog, engine: Engine, sealed_rows: list[dict[str, object]], data: st.DataObject
) -> None:
    """Property: changing any one byte of any stored field of any event is caught at that event."""
    row = data.draw(st.sampled_from(sealed_rows), label="event")
    column = data.draw(st.sampled_from(("seq", *TEXT_COLUMNS)), label="column")
    seq = int(row["seq"])  # type: ignore[call-overload]
    original = str(row[column])
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    replacement = data.draw(st.characters(min_codepoint=0x21, max_codepoint=0x7E), label="byte")
    edited = original[:position] + replacement + original[position + 1 :]
    assume(edited != original)
    if column == "seq":
        assume(edited.isdigit() and int(edited) not in {int(str(r["seq"])) for r in sealed_rows})
        value: object = int(edited)
        expected = min(seq, int(edited))
    else:
        value, expected = edited, seq
    _set(engine, column, value, seq)
    try:
        report = audit.verify(engine)
        assert not report.ok
        assert report.first_broken == expected, report.findings
    finally:
        _set(
            engine,
            column,
            int(original) if column == "seq" else original,
            int(edited) if column == "seq" else seq,
        )
    assert audit.verify(engine).ok


def test_sqlite_fast_path_and_row_path_agree(writer: Writer, engine: Engine) -> None:
    """The whole-batch check and the per-row check both accept a sound batch."""
    writer.many(4)
    raw = engine.raw_connection()
    try:
        cursor = driver_cursor(raw)
        cursor.close()
        scanner = RangeScanner(
            raw.driver_connection,
            engine.dialect.name,
            errors=(sqlite3.Error, engine.dialect.loaded_dbapi.Error),
            batch=2,
        )
        assert scanner.scan(1, 4).anomaly is None
        assert scanner.scan(1, 5).anomaly == 5  # a range past the end is a gap
    finally:
        raw.close()


def test_failed_workers_fall_back_to_checking_in_process(
    writer: Writer,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If worker processes cannot start, every range is still checked, in this process."""
    writer.many(12)
    monkeypatch.setattr("klaremont.audit.verify.sys.executable", "/nonexistent/python")
    report = writer.audit.verify(engine, workers=2, chunk_size=5)
    assert report.ok
    assert report.events == 12
    assert "checking in-process" in caplog.text


@only_sqlite("PostgreSQL has no rowid; this checks the scan when seq is not the rowid")
def test_swapped_numbers_are_found_when_seq_is_not_the_rowid(
    tmp_path: Path, audit: AuditLog
) -> None:
    """If seq is not the rowid (rows in insertion order), swapped numbers are still found."""
    from klaremont.db.engine import make_engine  # noqa: PLC0415

    odd = make_engine(f"sqlite:///{tmp_path / 'bigint.db'}")
    try:
        with odd.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE audit_events (seq BIGINT NOT NULL PRIMARY KEY, "
                "occurred_at VARCHAR(27) NOT NULL, actor_type VARCHAR(16) NOT NULL, "
                "actor_id VARCHAR(128) NOT NULL, action VARCHAR(64) NOT NULL, "
                "outcome VARCHAR(16) NOT NULL, origin VARCHAR(45), resource VARCHAR(255), "
                "purpose VARCHAR(64), request_id VARCHAR(64), details TEXT NOT NULL, "
                "prev_hash VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL)"
            )
            conn.exec_driver_sql(
                "CREATE TABLE audit_head (id INTEGER PRIMARY KEY, seq BIGINT, hash VARCHAR(64))"
            )
        factory = sessionmaker(odd)
        for n in range(6):
            with factory.begin() as session:
                audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE, resource=str(n))
        assert audit.verify(odd).ok
        with odd.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_events SET seq = 100 WHERE seq = 2")
            conn.exec_driver_sql("UPDATE audit_events SET seq = 2 WHERE seq = 4")
            conn.exec_driver_sql("UPDATE audit_events SET seq = 4 WHERE seq = 100")
        report = audit.verify(odd)
        assert (report.first_broken, report.kind) == (2, BreakKind.REORDERED)
    finally:
        odd.dispose()
