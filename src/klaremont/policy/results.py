"""Per-clause test results, where they are, and the older JSON results file.

The test command writes JUnit XML (``var/trace/junit-<backend>.xml``, read by
:mod:`klaremont.policy.junit`); this module holds the shape both readers return
(:data:`Results`: clause ID to the tests that prove it, each with its outcome) and the
older JSON file, still accepted when ``--results`` or ``KLAREMONT_TRACE_RESULTS`` name a
``.json`` file. Its shape::

    {"format": 1, "generated_at": "2025-01-01T00:00:00+00:00",
     "clauses": {"IS-PW-LOCK3": [{"nodeid": "tests/...::test_x", "outcome": "passed"}]}}

Writes are atomic (a temporary file, then a rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import NotRequired, TypedDict

ENV_VAR = "KLAREMONT_TRACE_RESULTS"
DEFAULT_RELATIVE = Path("trace")
FORMAT = 1


class RunOutcome(TypedDict):
    """One test's last outcome for one clause (the worst over every backend that ran it)."""

    nodeid: str
    outcome: str
    #: backend name to that backend's outcome (JUnit results only)
    backends: NotRequired[dict[str, str]]
    #: seconds the test took, summed over backends
    seconds: NotRequired[float]
    #: ISO 8601 start of the newest run that ran it
    at: NotRequired[str]


Results = dict[str, list[RunOutcome]]


class ResultsFileError(ValueError):
    """The results file exists but is not a results file."""


def results_path(var_dir: Path) -> Path:
    """``$KLAREMONT_TRACE_RESULTS`` when set, else the folder ``<var_dir>/trace`` (which holds
    the test command's ``junit-*.xml``)."""
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


def generated_at(path: Path) -> datetime | None:
    """When the JSON results file says it was written, if it says."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return datetime.fromisoformat(str(raw["generated_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
