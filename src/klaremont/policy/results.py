"""The test-results file: which tests proved which clause, and how they last ended.

The pytest plugin (:mod:`klaremont.testing.policy_marker`) writes it at the end of a run;
the trace reads it. Shape::

    {"format": 1, "generated_at": "2025-01-01T00:00:00+00:00",
     "clauses": {"IS-PW-LOCK3": [{"nodeid": "tests/...::test_x", "outcome": "passed"}]}}

A run replaces the entries of the tests it ran and keeps the others, so running one folder
does not forget the rest. Writes are atomic (a temporary file, then a rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

ENV_VAR = "KLAREMONT_TRACE_RESULTS"
DEFAULT_RELATIVE = Path("trace") / "test-results.json"
FORMAT = 1


class RunOutcome(TypedDict):
    """One test's last outcome for one clause."""

    nodeid: str
    outcome: str


Results = dict[str, list[RunOutcome]]


class ResultsFileError(ValueError):
    """The results file exists but is not a results file."""


def results_path(var_dir: Path) -> Path:
    """``$KLAREMONT_TRACE_RESULTS`` when set, else ``<var_dir>/trace/test-results.json``."""
    override = os.environ.get(ENV_VAR)
    return Path(override) if override else var_dir / DEFAULT_RELATIVE


def read_results(path: Path) -> Results:
    """The results in ``path``; empty when the file does not exist."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ResultsFileError(f"{path}: not a readable results file ({exc})") from exc
    clauses = raw.get("clauses") if isinstance(raw, dict) else None
    if not isinstance(clauses, dict):
        raise ResultsFileError(f"{path}: no 'clauses' mapping")
    results: Results = {}
    for clause_id, entries in clauses.items():
        if not isinstance(entries, list):
            raise ResultsFileError(f"{path}: clauses.{clause_id} is not a list")
        results[str(clause_id)] = [
            RunOutcome(nodeid=str(entry["nodeid"]), outcome=str(entry["outcome"]))
            for entry in entries
            if isinstance(entry, dict) and "nodeid" in entry and "outcome" in entry
        ]
    return results


def merge_results(old: Results, new: Results) -> Results:
    """``old`` with every entry for a test that ``new`` ran replaced by ``new``'s."""
    ran = {entry["nodeid"] for entries in new.values() for entry in entries}
    merged: Results = {}
    for clause_id, entries in old.items():
        kept = [entry for entry in entries if entry["nodeid"] not in ran]
        if kept:
            merged[clause_id] = kept
    for clause_id, entries in new.items():
        merged.setdefault(clause_id, []).extend(entries)
    return {
        clause_id: sorted(entries, key=lambda entry: entry["nodeid"])
        for clause_id, entries in sorted(merged.items())
    }


def write_results(path: Path, results: Results, *, now: datetime | None = None) -> None:
    """Write ``results`` to ``path`` atomically, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": FORMAT,
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "clauses": results,
    }
    handle, temporary = tempfile.mkstemp(prefix=".test-results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2, sort_keys=True)
            stream.write("\n")
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def summarise(entries: list[RunOutcome]) -> str:
    """One word for a clause's last run: failed, passed, skipped or not run."""
    outcomes = {entry["outcome"] for entry in entries}
    if not outcomes:
        return "not run"
    if outcomes & {"failed", "error"}:
        return "failed"
    if outcomes & {"passed", "xpassed"}:
        return "passed"
    return "skipped"  # skipped or xfailed: nothing proved
