"""Checkpoints against the stored chain: truncation, rebuilding, forged or foreign lines.

The newest genuine checkpoint vouches for every event up to its ``seq`` (each hash commits
to all before it), so when the chain scan finds no break, comparing that one checkpoint
with the table and checking its one signature proves the whole sealed log. The fast path
does only that, plus a cheap whole-file look at every line's ``seq`` and ``key_id``; any
doubt -- a line it cannot read, an unknown key, a mismatch, a bad signature -- or
``all_signatures`` runs the full check, which parses every line, compares each with the
table and locates the first disagreement. Older lines that agree with a sound chain are
not signature-checked unless asked: they can only restate what the newest one proves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from klaremont.audit.checkpoints import Checkpoint, parse_checkpoints, parse_line
from klaremont.audit.report import BreakKind, Finding
from klaremont.audit.scan import driver_cursor

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import Engine

_IN_LIST = 500
_SEQ = re.compile(rb'"seq":(\d+)')
_KEY_ID = re.compile(rb'"key_id":"([^"\\]*)"')


@dataclass
class _CheckpointState:
    first_mismatch: Checkpoint | None
    last_match_before: int
    sealed: int
    newest: Checkpoint | None


def _stored_hashes(cursor: Any, mark: str, seqs: Sequence[int]) -> dict[int, str]:
    """Stored ``hash`` at each of ``seqs`` (sorted), by range scan when dense, else by lookup."""
    found: dict[int, str] = {}
    if not seqs:
        return found
    span = seqs[-1] - seqs[0] + 1
    if len(seqs) * 8 >= span:
        for lo in range(seqs[0], seqs[-1] + 1, 50_000):
            cursor.execute(
                f"SELECT seq, hash FROM audit_events WHERE seq BETWEEN {mark} AND {mark}",  # noqa: S608 - constant
                (lo, min(lo + 49_999, seqs[-1])),
            )
            found.update(cursor.fetchall())
        return found
    for start in range(0, len(seqs), _IN_LIST):
        group = seqs[start : start + _IN_LIST]
        marks = ",".join([mark] * len(group))
        cursor.execute(f"SELECT seq, hash FROM audit_events WHERE seq IN ({marks})", tuple(group))  # noqa: S608 - placeholders only
        found.update(cursor.fetchall())
    return found


def checkpoint_seqs(data: bytes) -> set[int]:
    """Every ``seq`` the checkpoint file's bytes name (a cheap scan, not a parse)."""
    return {int(seq) for seq in _SEQ.findall(data)}


def _evaluate(checkpoints: list[Checkpoint], stored: dict[int, str]) -> _CheckpointState:
    """Compare sorted checkpoints with the stored chain."""
    state = _CheckpointState(None, 0, 0, checkpoints[-1] if checkpoints else None)
    for cp in checkpoints:
        have = stored.get(cp.seq)
        if have is None:
            continue  # a missing event: the chain scan or the truncation check reports it
        if have == cp.hash:
            state.sealed = max(state.sealed, cp.seq)
            if state.first_mismatch is None:
                state.last_match_before = cp.seq
        elif state.first_mismatch is None:
            state.first_mismatch = cp
    return state


def _summarise(kind: BreakKind, bad: list[Checkpoint], what: str) -> Finding:
    first = min(bad, key=lambda c: c.seq)
    lines = ", ".join(str(c.line) for c in sorted(bad, key=lambda c: c.line)[:5])
    return Finding(kind, first.seq, f"{len(bad)} checkpoint(s) {what} (lines {lines})")


def _full_check(
    engine: Engine,
    data: bytes,
    trusted: dict[str, Ed25519PublicKey],
    last_seq: int,
    *,
    all_signatures: bool,
    archived: Mapping[int, str],
) -> tuple[list[Finding], int, int]:
    """Every line parsed and compared with the table, or the archive for events no longer in
    it (any doubt, or ``--all-signatures``)."""
    findings: list[Finding] = []
    checkpoints, malformed = parse_checkpoints(data)
    findings.extend(
        Finding(BreakKind.MALFORMED_CHECKPOINT, None, f"line {m.line}: {m.reason}")
        for m in malformed
    )
    unknown = [c for c in checkpoints if c.key_id not in trusted]
    if unknown:
        findings.append(_summarise(BreakKind.UNKNOWN_KEY, unknown, "signed by an unknown key"))
    known = sorted((c for c in checkpoints if c.key_id in trusted), key=lambda c: c.seq)
    mark = _mark(engine)
    raw = engine.raw_connection()
    try:
        cursor = driver_cursor(raw)
        in_table = sorted({c.seq for c in known if c.seq <= last_seq})
        stored = {**archived, **_stored_hashes(cursor, mark, in_table)}
        cursor.close()
    finally:
        raw.close()

    def valid(cp: Checkpoint) -> bool:
        return cp.signature_valid(trusted[cp.key_id])

    state = _evaluate(known, stored)
    probes = [c for c in (state.newest, state.first_mismatch) if c is not None]
    if all_signatures or not all(valid(c) for c in probes):
        bad = [c for c in known if not valid(c)]
        if bad:
            findings.append(_summarise(BreakKind.BAD_SIGNATURE, bad, "have a bad signature"))
            rejected = {id(c) for c in bad}
            known = [c for c in known if id(c) not in rejected]
            state = _evaluate(known, stored)
    if state.first_mismatch is not None:
        cp = state.first_mismatch
        findings.append(
            Finding(
                BreakKind.REBUILT,
                state.last_match_before + 1,
                f"checkpoint line {cp.line} signed hash {cp.hash[:12]}... for event #{cp.seq}, "
                f"but the table holds {stored[cp.seq][:12]}...; the chain was rewritten after "
                f"event #{state.last_match_before}",
            )
        )
    if state.newest is not None and state.newest.seq > last_seq:
        findings.append(
            Finding(
                BreakKind.TRUNCATED,
                last_seq + 1,
                f"the table ends at event #{last_seq} but checkpoint line {state.newest.line} "
                f"was signed for event #{state.newest.seq}",
            )
        )
    return findings, len(known), state.sealed


def _mark(engine: Engine) -> str:
    return "?" if engine.dialect.name == "sqlite" else "%s"


def _newest(data: bytes, trusted: dict[str, Ed25519PublicKey]) -> tuple[Checkpoint, int] | None:
    """The highest-``seq`` checkpoint and the line count, if every line looks trusted."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    seqs = _SEQ.findall(data)
    keys = _KEY_ID.findall(data)
    if not lines or not len(seqs) == len(keys) == lines:
        return None
    if not {key.decode("ascii", "replace") for key in set(keys)} <= trusted.keys():
        return None
    top = max(map(int, seqs))
    at = data.rfind(b'"seq":%d,' % top)
    if at < 0:
        return None
    start = data.rfind(b"\n", 0, at) + 1
    end = data.find(b"\n", at)
    parsed = parse_line(data.count(b"\n", 0, start) + 1, data[start : end if end >= 0 else None])
    return (parsed, lines) if isinstance(parsed, Checkpoint) else None


def _fast_check(
    engine: Engine,
    data: bytes,
    trusted: dict[str, Ed25519PublicKey],
    last_seq: int,
    archived: Mapping[int, str],
) -> tuple[int, int] | None:
    """``(lines, sealed seq)`` when the newest checkpoint is genuine and agrees; else ``None``."""
    found = _newest(data, trusted)
    if found is None:
        return None
    newest, lines = found
    if newest.seq > last_seq or not newest.signature_valid(trusted[newest.key_id]):
        return None
    raw = engine.raw_connection()
    try:
        cursor = driver_cursor(raw)
        stored = {**archived, **_stored_hashes(cursor, _mark(engine), [newest.seq])}
        cursor.close()
    finally:
        raw.close()
    return (lines, newest.seq) if stored.get(newest.seq) == newest.hash else None


def check_checkpoints(
    engine: Engine,
    path: Path,
    trusted: dict[str, Ed25519PublicKey],
    last_seq: int,
    *,
    all_signatures: bool = False,
    archived: Mapping[int, str] | None = None,
) -> tuple[list[Finding], int, int]:
    """Findings from the checkpoint file, the number of checkpoints, and the sealed ``seq``.

    ``archived`` holds the hashes of archived events that checkpoints name (events no longer
    in the table are compared with the archive; one the archive no longer holds, of a
    disposed segment, cannot be compared and is skipped).
    """
    data = path.read_bytes() if path.exists() else b""
    held = archived or {}
    if data and not all_signatures:
        fast = _fast_check(engine, data, trusted, last_seq, held)
        if fast is not None:
            return [], fast[0], fast[1]
    return _full_check(
        engine, data, trusted, last_seq, all_signatures=all_signatures, archived=held
    )
