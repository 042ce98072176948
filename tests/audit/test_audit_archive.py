"""The audit log ages out without losing its proof (PCI DSS 10.5.1): events older than the
online period move to signed archive segments, segments past retention are disposed of, and
``audit verify`` checks archive and table as one chain."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from audithelp import Writer
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from klaremont.audit import archive as archive_module
from klaremont.audit.archive import archive_log
from klaremont.audit.archive_format import MANIFEST, archive_dir, read_manifest
from klaremont.audit.archive_result import ArchiveResult
from klaremont.audit.checkpoints import append_checkpoint
from klaremont.audit.encoding import format_timestamp
from klaremont.audit.log import AuditLog
from klaremont.audit.report import BreakKind
from klaremont.clock import ManualClock
from klaremont.policy.period import Period

TWELVE_MONTHS = Period(months=12)


def spread(writer: Writer, clock: ManualClock, months: int = 6, per_month: int = 3) -> None:
    """``per_month`` events in each of ``months`` months, then two this week."""
    for _ in range(months):
        writer.many(per_month)
        clock.advance(timedelta(days=30))
    writer.many(2)


def run(engine: Engine, audit: AuditLog, online_months: int = 3) -> ArchiveResult:
    return archive_log(engine, audit, online_months=online_months, retention=TWELVE_MONTHS)


def live(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT seq FROM audit_events ORDER BY seq"))]


def oldest_live_at(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT min(occurred_at) FROM audit_events")).scalar())


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_archive_moves_old_events_out_and_verify_still_proves_the_whole_chain(
    engine: Engine, audit: AuditLog, writer: Writer, clock: ManualClock
) -> None:
    """Events older than three months leave the table for owner-only segment files, one per
    month; the most recent three months stay; verify re-hashes archive and table as one."""
    spread(writer, clock)
    total = len(live(engine))
    result = run(engine, audit)
    assert result.archived
    assert result.archived_events == len(result.archived) * 3
    assert [r.lo for r in result.archived] == [1, 4, 7]  # one segment per month, in order
    cutoff = format_timestamp(clock.now() - relativedelta(months=3))
    assert oldest_live_at(engine) >= cutoff  # nothing older than the online period is left
    remaining = live(engine)
    assert remaining[0] == result.archived[-1].hi + 1
    assert len(remaining) + result.archived_events == total
    directory = archive_dir(audit.checkpoint_file)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for record in result.archived:
        assert stat.S_IMODE((directory / record.file).stat().st_mode) == 0o600
    assert stat.S_IMODE((directory / MANIFEST).stat().st_mode) == 0o600
    report = audit.verify(engine, all_signatures=True)
    assert report.ok, report.findings
    assert report.archived_events == result.archived_events
    assert report.archived_segments == len(result.archived)
    assert report.events == len(remaining)
    assert "archived in 3 segment(s)" in report.summary()
    assert run(engine, audit).archived == []  # nothing new is old enough


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_each_segment_holds_every_stored_column_as_stored(
    engine: Engine, audit: AuditLog, writer: Writer, clock: ManualClock
) -> None:
    """A segment line is the row exactly as it was in the table (so each hash recomputes)."""
    spread(writer, clock, months=4)
    with engine.connect() as conn:
        first = dict(
            conn.execute(text("SELECT * FROM audit_events WHERE seq = 1")).mappings().one()
        )
    record = run(engine, audit).archived[0]
    from klaremont.audit.archive_format import read_segment  # noqa: PLC0415 - one use

    stored = next(read_segment(archive_dir(audit.checkpoint_file) / record.file))
    assert stored == first


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_checkpoint_of_an_archived_event_is_checked_against_the_segment(
    engine: Engine, audit: AuditLog, writer: Writer, clock: ManualClock
) -> None:
    """Checkpoints for events no longer in the table are compared with the archive: a
    genuine-looking checkpoint naming another hash for an archived event is found."""
    spread(writer, clock)
    run(engine, audit)
    assert audit.verify(engine, all_signatures=True).ok
    forged = audit.signer.sign(2, "f" * 64, format_timestamp(clock.now()))
    append_checkpoint(audit.checkpoint_file, forged)
    report = audit.verify(engine, all_signatures=True)  # every line compared, not the newest
    assert not report.ok
    assert report.kind is BreakKind.REBUILT
    assert "event #2" in report.findings[0].message


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_the_trigger_refuses_deleting_an_event_that_is_not_archived_and_any_update(
    engine: Engine, audit: AuditLog, writer: Writer, clock: ManualClock
) -> None:
    """Only events inside a recorded archived range may be deleted; nothing may ever be
    updated (not even an archived-range row, nor the record of the range itself)."""
    spread(writer, clock)
    result = run(engine, audit)
    last = live(engine)[-1]
    for statement in (
        f"DELETE FROM audit_events WHERE seq = {last}",
        f"UPDATE audit_events SET outcome = 'failure' WHERE seq = {last}",
        "UPDATE audit_archive_ranges SET hi = hi + 5",
        "DELETE FROM audit_archive_ranges",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert live(engine)[-1] == last
    with engine.connect() as conn:
        ranges = conn.execute(text("SELECT lo, hi FROM audit_archive_ranges ORDER BY lo")).all()
    assert [tuple(r) for r in ranges] == [(r.lo, r.hi) for r in result.archived]


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_crash_between_writing_the_segment_and_deleting_the_rows_is_completed(
    engine: Engine,
    audit: AuditLog,
    writer: Writer,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file and its signed line are written, then the process dies before the delete:
    verify accepts the events being in both places, and the next run finishes the job."""
    spread(writer, clock)
    total = live(engine)

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(archive_module, "_record_and_delete", crash)
        with pytest.raises(KeyboardInterrupt):
            run(engine, audit)
    records, _ = read_manifest(archive_dir(audit.checkpoint_file))
    assert [r.lo for r in records] == [1]
    assert live(engine) == total  # nothing deleted
    assert audit.verify(engine, all_signatures=True).ok
    result = run(engine, audit)
    assert [r.lo for r in result.completed] == [1]
    assert [r.lo for r in result.archived] == [4, 7]
    assert live(engine)[0] == 10
    report = audit.verify(engine, all_signatures=True)
    assert report.ok, report.findings
    assert report.archived_events == 9


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_crash_before_the_manifest_line_leaves_a_file_the_next_run_replaces(
    engine: Engine,
    audit: AuditLog,
    writer: Writer,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A segment file without its signed line is not yet part of the archive: verify passes,
    and the next run writes it again and goes on."""
    spread(writer, clock)

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(archive_module, "append_record", crash)
        with pytest.raises(KeyboardInterrupt):
            run(engine, audit)
    directory = archive_dir(audit.checkpoint_file)
    assert [p.name for p in directory.glob("segment-*")] == [
        "segment-000000000001-000000000003.jsonl.gz"
    ]
    assert audit.verify(engine).ok
    assert [r.lo for r in run(engine, audit).archived] == [1, 4, 7]
    assert audit.verify(engine).ok


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_segments_past_retention_are_disposed_of_and_verify_still_passes(
    engine: Engine, audit: AuditLog, writer: Writer, clock: ManualClock
) -> None:
    """Twelve months after a segment's last event its file is deleted and a signed
    ``disposed`` line kept: verify still knows where the chain begins."""
    spread(writer, clock)
    first = run(engine, audit)
    clock.advance(timedelta(days=229))  # mid-April next year
    writer.many(2)
    result = run(engine, audit)
    directory = archive_dir(audit.checkpoint_file)
    assert [r.lo for r in result.disposed] == [1, 4]  # the two oldest months are past 12
    assert result.disposed_events == 6
    for record in result.disposed:
        assert not (directory / record.file).exists()
    kept = [r for r in first.archived if r.lo not in {1, 4}]
    assert all((directory / r.file).exists() for r in kept)
    lines = [json.loads(x) for x in (directory / MANIFEST).read_text().splitlines()]
    assert [(x["kind"], x["lo"]) for x in lines if x["kind"] == "disposed"] == [
        ("disposed", 1),
        ("disposed", 4),
    ]
    report = audit.verify(engine, all_signatures=True)
    assert report.ok, report.findings
    assert report.disposed_events == 6
    assert "disposed of" in report.summary()


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_deleting_the_first_live_events_is_still_found_after_an_archive(
    engine: Engine, audit: AuditLog, writer: Writer, clock: ManualClock, tamper
) -> None:
    """An attacker who drops the triggers and deletes the oldest live events: the chain
    from the archive's end to the table's first event has a hole."""
    spread(writer, clock)
    result = run(engine, audit)
    start = result.archived[-1].hi + 1
    tamper(f"DELETE FROM audit_events WHERE seq = {start}")
    report = audit.verify(engine)
    assert (report.first_broken, report.kind) == (start, BreakKind.DELETED)


def test_a_log_without_old_events_archives_nothing(
    engine: Engine, audit: AuditLog, writer: Writer, tmp_path: Path
) -> None:
    """A young log: nothing to move, no segment file, verify as before."""
    writer.many(4)
    result = run(engine, audit)
    assert result.archived == []
    assert result.disposed == []
    assert live(engine) == [1, 2, 3, 4]
    assert not list(archive_dir(audit.checkpoint_file).glob("segment-*"))
    assert audit.verify(engine).ok
