"""The sanitiser benchmark at a tiny size, so its harness cannot rot (bench/bench_sanitize.py).

It seeds 200 customers, runs the plain copy, the per-row baseline and ``klaremont sanitize
run`` once each on the test run's backend, and checks the copy (``--check-app``). No
timing is asserted: only that every contender copied every row and the copy passed.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend_support import BACKEND

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    monkeypatch.syspath_prepend(str(BENCH))
    # the bench folder is a folder of scripts, on the path only here
    common, bench_sanitize = (importlib.import_module(m) for m in ("_common", "bench_sanitize"))

    monkeypatch.setattr(common, "RESULTS", tmp_path)
    yield bench_sanitize
    for name in [m for m in sys.modules if m.startswith(("_sanitize_", "_stores", "_common"))]:
        del sys.modules[name]
    sys.modules.pop("bench_sanitize", None)


def test_the_bench_runs_at_tiny_size_and_the_copy_passes(bench: Any, tmp_path: Path) -> None:
    results = bench.main(
        ["--customers", "200", "--runs", "1", "--backend", BACKEND, "--check-app",
         "--results", "sanitize-smoke"]
    )  # fmt: skip
    found = results[BACKEND]
    source_rows = found["source_rows"]
    assert source_rows == sum(n for t, n in found["store"].items() if t != "subject_keys")
    # every contender copied every seeded row (ours may add none: no one is erased)
    assert found["rows"] == {"plain": source_rows, "per-row": source_rows, "ours": source_rows}
    run = found["runs"][0]
    assert set(run["order"]) == {"plain", "per-row", "ours"}
    assert run["ours"]["verification_passed"] is True
    assert run["checks"], "the copy was not checked"
    failed = {item: c["detail"] for item, c in run["checks"].items() if not c["ok"]}
    assert not failed
    assert found["checks_passed"] is True
    for ratio in ("ours_over_plain", "per_row_over_ours"):
        assert found[ratio] > 0
    # the AES-GCM floor: every sealed value counted (names, e-mails, addresses, tokens...),
    # fewer sealed in the copy than opened (genders and second address lines are emptied)
    ceiling = found["crypto_floor"]
    assert ceiling["values_opened"] >= 200 * 5
    assert 0 < ceiling["values_sealed"] < ceiling["values_opened"]
    assert ceiling["transform_ceiling_rows_per_second"] > 0
    # both readings of the transform stage, and the stricter one judged
    waited = found["transform_waited_rows_per_second"]
    worked = found["transform_work_rows_per_second"]
    assert waited > 0
    assert worked > 0
    assert found["transform_rows_per_second"] == min(waited, worked)
    written = json.loads((tmp_path / "sanitize-smoke.json").read_text())
    assert written["customers"] == 200
    assert written[BACKEND]["rows"] == found["rows"]
