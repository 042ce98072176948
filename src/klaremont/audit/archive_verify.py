"""The archive half of ``audit verify``: signed segments and the live table as one chain.

Every manifest line's signature is checked; the records, ordered by ``lo``, must tile the
events from #1 without a gap, each segment's first ``prev_hash`` equal to the last hash of
the one before. A segment still on disk must match its signed SHA-256 and its events are
re-hashed and chained (:func:`klaremont.audit.archive_format.check_segment`); a disposed
segment is accounted for by its signed record alone (its last hash still seals the chain's
archived start). Every range the table records as archived must be listed by a signed line,
so removing a manifest line to hide a deletion is found. Where the archive ends, the table
must go on: :func:`check_boundary` compares the archive's last hash with the table.

Events both archived and still in the table (a run that stopped before deleting them, or a
restored backup from before the archive run) are sound when the table's event at the
archive's end has the archived hash: with the table's own chain checked, that one equal hash
proves every overlapping event equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import inspect

from klaremont.audit.archive_format import (
    ArchiveRecord,
    check_segment,
    file_sha256,
    read_manifest,
    segment_name,
)
from klaremont.audit.encoding import GENESIS_HASH
from klaremont.audit.report import BreakKind, Finding
from klaremont.db.engine import READ_ONLY

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import Engine


def recorded_ranges(engine: Engine) -> dict[int, tuple[int, str, str]]:
    """The ranges the database records as archived: ``lo -> (hi, first_prev_hash, last_hash)``
    (none in a database from before the archive, whose table is missing)."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        found = (
            conn.exec_driver_sql(
                "SELECT lo, hi, first_prev_hash, last_hash FROM audit_archive_ranges"
            ).all()
            if inspect(conn).has_table("audit_archive_ranges")
            else []
        )
        conn.rollback()
    return {int(lo): (int(hi), str(p), str(h)) for lo, hi, p, h in found}


@dataclass
class ArchiveState:
    """What the archive holds and what is wrong with it."""

    findings: list[Finding] = field(default_factory=list)
    archived_to: int = 0  # the last event the signed records cover (0: nothing archived)
    last_hash: str = GENESIS_HASH  # that event's hash
    last_file: str = ""
    events: int = 0  # events re-hashed in segment files
    segments: int = 0  # segment files checked
    disposed: int = 0  # events of disposed segments
    hashes: dict[int, str] = field(default_factory=dict)  # archived hashes at wanted seqs


def _signed(
    records: list[ArchiveRecord], trusted: Mapping[str, Ed25519PublicKey], state: ArchiveState
) -> dict[int, ArchiveRecord]:
    """The record standing for each ``lo``: disposed over segment; forged lines reported."""
    chosen: dict[int, ArchiveRecord] = {}
    for record in records:
        if not record.signature_valid(trusted):
            state.findings.append(
                Finding(
                    BreakKind.ARCHIVE_BAD_SIGNATURE,
                    record.lo,
                    f"archive manifest line {record.line} for segment {record.file} "
                    f"({record.span}) has a bad signature or an unknown key",
                )
            )
            continue
        held = chosen.get(record.lo)
        if held is not None and held.hi != record.hi:
            state.findings.append(
                Finding(
                    BreakKind.ARCHIVE_GAP,
                    record.lo,
                    f"archive manifest lines {held.line} and {record.line} list different "
                    f"segments from event #{record.lo}",
                )
            )
            continue
        if held is None or record.kind == "disposed":
            chosen[record.lo] = record
    return chosen


def _check_file(
    directory: Path, record: ArchiveRecord, wanted: Collection[int], state: ArchiveState
) -> None:
    path = directory / record.file
    if not path.exists():
        state.findings.append(
            Finding(
                BreakKind.ARCHIVE_MISSING,
                record.lo,
                f"segment file {record.file} (events {record.span}) is missing",
            )
        )
        return
    sound = file_sha256(path) == record.sha256
    checked = check_segment(path, record, wanted, state.hashes)
    if sound and checked.problem is None:
        state.events += checked.events
        state.segments += 1
        return
    where = f": {checked.problem}" if checked.problem else ""
    state.findings.append(
        Finding(
            BreakKind.ARCHIVE_EDITED,
            checked.seq or record.lo,
            f"segment file {record.file} (events {record.span}) does not match its signed "
            f"SHA-256{where}",
        )
    )


def check_archive(
    engine: Engine,
    directory: Path,
    trusted: Mapping[str, Ed25519PublicKey],
    wanted: Collection[int] = (),
    progress: Callable[[int], None] | None = None,
) -> ArchiveState:
    """Check the manifest, every segment file and the table's archived ranges."""
    state = ArchiveState()
    records, bad = read_manifest(directory)
    state.findings.extend(
        Finding(BreakKind.ARCHIVE_MALFORMED, None, f"archive manifest line {b.line}: {b.reason}")
        for b in bad
    )
    chosen = _signed(records, trusted, state)
    expected, prev = 1, GENESIS_HASH
    for lo in sorted(chosen):
        record = chosen[lo]
        if lo != expected:
            state.findings.append(_gap(directory, expected, lo))
        elif record.first_prev_hash != prev:
            state.findings.append(
                Finding(
                    BreakKind.ARCHIVE_LINK,
                    lo,
                    f"segment {record.file} ({record.span}) does not continue the chain: its "
                    "first event links to another hash than the archive before it ends with",
                )
            )
        state.hashes[record.hi] = record.last_hash
        if record.kind == "disposed":
            state.disposed += record.events
        else:
            _check_file(directory, record, wanted, state)
        if progress is not None:
            progress(record.events)
        expected, prev = max(expected, record.hi + 1), record.last_hash
        state.last_file = record.file
    state.archived_to, state.last_hash = expected - 1, prev
    for lo, (hi, _first, last) in sorted(recorded_ranges(engine).items()):
        listed = chosen.get(lo)
        if listed is None or listed.hi != hi or listed.last_hash != last:
            state.findings.append(
                Finding(
                    BreakKind.ARCHIVE_UNLISTED,
                    lo,
                    f"events #{lo}-#{hi} were deleted from the table as archived in "
                    f"{segment_name(lo, hi)}, but no signed archive manifest line lists that "
                    "segment (a manifest line removed?)",
                )
            )
    return state


def _gap(directory: Path, expected: int, lo: int) -> Finding:
    if lo < expected:
        return Finding(
            BreakKind.ARCHIVE_GAP,
            lo,
            f"archived segments overlap at event #{lo} (the archive already reached "
            f"#{expected - 1})",
        )
    unlisted = sorted(p.name for p in directory.glob(f"segment-{expected:012d}-*.jsonl.gz"))
    files = f" (unlisted file: {', '.join(unlisted)})" if unlisted else ""
    return Finding(
        BreakKind.ARCHIVE_GAP,
        expected,
        f"archived events #{expected}-#{lo - 1} are listed in no signed archive manifest "
        f"line{files}",
    )


def check_boundary(
    engine: Engine, state: ArchiveState, low: int | None, high: int
) -> list[Finding]:
    """Where the archive ends the table goes on: the table's event at the archive's end has
    the archived hash (events in both), or its first event links to it."""
    end = state.archived_to
    if end == 0 or low is None:
        return []
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    if low <= end:
        if high < end:
            return [
                Finding(
                    BreakKind.ARCHIVE_LINK,
                    high + 1,
                    f"the table ends at event #{high}, inside the archive (which reaches "
                    f"#{end}, {state.last_file})",
                )
            ]
        column, seq, what = "hash", end, f"event #{end} in the table differs from the archived one"
    elif low == end + 1:
        column, seq, what = (
            "prev_hash",
            low,
            f"event #{low} does not link to the archive's last event #{end}",
        )
    else:
        return []  # the chain scan reports the events missing between them
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        found = conn.exec_driver_sql(
            f"SELECT {column} FROM audit_events WHERE seq = {mark}",  # noqa: S608 - constant column
            (seq,),
        ).first()
        conn.rollback()
    if found is not None and str(found[0]) == state.last_hash:
        return []
    return [Finding(BreakKind.ARCHIVE_LINK, seq, f"{what} ({state.last_file})")]
