"""Tampering with the archive is found by ``audit verify``: a missing segment file, one
byte changed, a manifest line removed or forged, a gap; each finding names the segment file
and its range of events."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from audithelp import Writer
from sqlalchemy import Engine

from klaremont.audit.archive import archive_log
from klaremont.audit.archive_format import MANIFEST, archive_dir
from klaremont.audit.archive_result import ArchiveRefused, ArchiveResult
from klaremont.audit.log import AuditLog
from klaremont.audit.report import BreakKind, VerificationReport
from klaremont.clock import ManualClock
from klaremont.policy.period import Period


@pytest.fixture
def archived(engine: Engine, audit: AuditLog, writer: Writer, clock: ManualClock) -> ArchiveResult:
    """Six months of events, the oldest three archived in one segment each."""
    for _ in range(6):
        writer.many(3)
        clock.advance(timedelta(days=30))
    writer.many(2)
    result = archive_log(engine, audit, online_months=3, retention=Period(months=12))
    assert [(r.lo, r.hi) for r in result.archived] == [(1, 3), (4, 6), (7, 9)]
    assert audit.verify(engine).ok
    return result


def directory(audit: AuditLog) -> Path:
    return archive_dir(audit.checkpoint_file)


def kinds(report: VerificationReport) -> set[BreakKind]:
    return {finding.kind for finding in report.findings}


def drop_manifest_line(audit: AuditLog, lo: int) -> None:
    path = directory(audit) / MANIFEST
    kept = [x for x in path.read_text().splitlines() if json.loads(x)["lo"] != lo]
    path.write_text("".join(x + "\n" for x in kept))


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_deleted_segment_file_is_found(
    archived: ArchiveResult, audit: AuditLog, engine: Engine
) -> None:
    """The middle segment's file is gone: reported as missing, naming file and range."""
    victim = archived.archived[1]
    (directory(audit) / victim.file).unlink()
    report = audit.verify(engine)
    assert not report.ok
    assert (report.first_broken, report.kind) == (4, BreakKind.ARCHIVE_MISSING)
    assert victim.file in report.findings[0].message
    assert "#4-#6" in report.findings[0].message


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_one_changed_byte_in_a_segment_is_found(
    archived: ArchiveResult, audit: AuditLog, engine: Engine
) -> None:
    """One byte of the compressed file flipped: its SHA-256 no longer matches the signed one."""
    victim = archived.archived[0]
    path = directory(audit) / victim.file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = audit.verify(engine)
    assert not report.ok
    assert report.kind is BreakKind.ARCHIVE_EDITED
    assert victim.file in report.findings[0].message


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_re_compressed_edit_of_an_event_is_found_at_that_event(
    archived: ArchiveResult, audit: AuditLog, engine: Engine
) -> None:
    """An event's field changed and the file re-compressed: the SHA-256 differs and the
    re-hash names the edited event."""
    victim = archived.archived[1]
    path = directory(audit) / victim.file
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    row = json.loads(lines[1])
    row["outcome"] = "failure"
    lines[1] = json.dumps(row, separators=(",", ":"))
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    report = audit.verify(engine)
    assert (report.first_broken, report.kind) == (5, BreakKind.ARCHIVE_EDITED)
    assert "event #5" in report.findings[0].message


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_removed_manifest_line_is_found(
    archived: ArchiveResult, audit: AuditLog, engine: Engine
) -> None:
    """Removing a segment's signed line leaves a gap in the archive, and the table still
    records that range as archived: both reported, naming the unlisted file."""
    drop_manifest_line(audit, 4)
    report = audit.verify(engine)
    assert not report.ok
    assert {BreakKind.ARCHIVE_GAP, BreakKind.ARCHIVE_UNLISTED} <= kinds(report)
    assert report.first_broken == 4
    text = " ".join(f.message for f in report.findings)
    assert archived.archived[1].file in text


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_removing_the_last_manifest_line_is_found(
    archived: ArchiveResult, audit: AuditLog, engine: Engine
) -> None:
    """Without the newest segment's line the archive seems to end earlier: the events the
    table no longer holds are reported missing, and the table's record is unlisted."""
    drop_manifest_line(audit, 7)
    report = audit.verify(engine)
    assert not report.ok
    assert BreakKind.ARCHIVE_UNLISTED in kinds(report)
    assert report.first_broken == 7


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_forged_manifest_line_is_found(
    archived: ArchiveResult, audit: AuditLog, engine: Engine
) -> None:
    """A manifest line whose fields were changed no longer matches its signature."""
    path = directory(audit) / MANIFEST
    lines = path.read_text().splitlines()
    record = json.loads(lines[0])
    record["events"] = 2
    lines[0] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    path.write_text("".join(x + "\n" for x in lines))
    report = audit.verify(engine)
    assert BreakKind.ARCHIVE_BAD_SIGNATURE in kinds(report)
    assert report.first_broken == 1


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_whole_missing_archive_is_found(
    archived: ArchiveResult, audit: AuditLog, engine: Engine
) -> None:
    """The archive folder removed: the events before the table's first are missing."""
    for path in directory(audit).iterdir():
        path.unlink()
    report = audit.verify(engine)
    assert (report.first_broken, report.kind) == (1, BreakKind.DELETED)
    assert BreakKind.ARCHIVE_UNLISTED in kinds(report)


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_the_archive_refuses_to_go_on_over_a_broken_table(
    engine: Engine, audit: AuditLog, writer: Writer, clock: ManualClock, tamper
) -> None:
    """A broken chain in the table is evidence: it is never archived (and so never deleted)."""
    for _ in range(5):
        writer.many(2)
        clock.advance(timedelta(days=30))
    tamper("UPDATE audit_events SET outcome = 'failure' WHERE seq = 2")
    with pytest.raises(ArchiveRefused, match="event #2"):
        archive_log(engine, audit, online_months=3, retention=Period(months=12))
    assert not list(directory(audit).glob("segment-*"))


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_malformed_manifest_line_is_reported_against_the_manifest(
    archived: ArchiveResult, audit: AuditLog, engine: Engine
) -> None:
    """A line that is not a record is named by its number, against the archive manifest."""
    with (directory(audit) / MANIFEST).open("a") as manifest:
        manifest.write('{"kind": "segment"}\n')
    report = audit.verify(engine)
    assert report.kind is BreakKind.ARCHIVE_MALFORMED
    assert "BROKEN at the archive manifest" in report.summary()
    assert "line 4" in report.summary()
