"""Sanitised development copy (``klaremont sanitize run``) against a plain copy and a per-row
Python sanitiser of the same tables, on the same engine, in the same run (issue #19).

Store (per backend, seeded once into a template, copied fresh for every measured run; see
``_sanitize_seed``): ``--customers`` people (default 1,000,000; ``--quick``: 100,000), each
with a data subject, a customer with real sealed values and blind indexes, one or two
addresses, a saved card for half of them, two orders of one or two lines, an invoice per
order, and a data key wrapped by the real key ring.

Per backend and run (``--runs``, the order of the three rotating from run to run), each on
a fresh copy of the template into a fresh target (see ``_sanitize_contenders``):

* plain: the tables the sanitiser copies into a migrated database, no transformation
  (PostgreSQL: psycopg binary COPY; SQLite: INSERT ... SELECT through ATTACH);
* per-row: a straightforward per-row HMAC-SHA256 sanitiser that opens and re-seals sealed
  values under new per-person keys (``--baseline-fraction`` runs it on a slice and scales);
* ours: ``klaremont sanitize run`` as a subprocess (wall time; its stages when reported).

Targets: ours <= 2x plain; ours >= 5x faster than per-row; the transform stage >= 500,000
rows/s on two cores. ``--check-app`` (always on PostgreSQL with ``--quick``) checks the
copy: the app starts, the test fixtures work, foreign keys hold, unique counts equal the
source's, the scanner finds no card data, no sampled source value is in it.

Run: .venv/bin/python bench/bench_sanitize.py [--customers N | --quick] [--runs R]
     [--backend both|sqlite|postgresql] [--baseline-fraction F] [--check-app]
     [--sqlite-template DIR [--seed-only]]  (seed SQLite once into DIR, use it again)
Needs PostgreSQL at KLAREMONT_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
for the PostgreSQL half.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from _common import record
from _sanitize_checks import check_copy
from _sanitize_contenders import ours, per_row, plain_copy
from _sanitize_floor import floor
from _sanitize_seed import seed
from _stores import (
    PG_ADMIN_URL,
    Backend,
    PostgresBackend,
    SqliteBackend,
    backend_for,
    pg_available,
    settings_for,
)
from klaremont.platform import Platform

PREFIX: Final = f"bench_sanitize_{os.getpid()}"
TARGET_PLAIN: Final = 2.0  # ours at most this many times the plain copy
TARGET_PER_ROW: Final = 5.0  # ours at least this many times faster than per-row
TARGET_TRANSFORM: Final = 500_000  # transform-stage rows/s
CONTENDERS: Final = ("plain", "per-row", "ours")
ENGINE: Final = "ours (its report's seconds)"
console = Console()


def prepare(backend: Backend, customers: int) -> tuple[dict[str, Any], list[str]]:
    """Seed the template; what the results file says about it, and the sampled values."""
    template = backend.template()
    platform = Platform.build(
        settings_for(template.var, template.database_url, template.keystore_url)
    )
    platform.upgrade()
    totals, seconds, sample = seed(platform, customers)
    platform.dispose()
    backend.seal_template()
    rows = sum(n for name, n in totals.items() if name != "subject_keys")
    console.print(f"[bold]{backend.name}[/bold]: seeded {rows:,} rows in {seconds:.1f} s "
                  f"({rows / seconds:,.0f} rows/s) {totals}")  # fmt: skip
    return {"store": totals, "seed_s": round(seconds, 1), "source_rows": rows}, sample


def target_for(backend: Backend, who: str, run: int) -> tuple[str, Path]:
    """A fresh target URL and key folder for one contender's run."""
    keys = backend.root / f"{who}-{run}.keys"
    if isinstance(backend, PostgresBackend):
        return backend.empty(), keys
    return f"sqlite:///{backend.root / f'{who}-{run}.db'}", keys


def drop_target(backend: Backend, url: str, keys: Path) -> None:
    """Remove a contender's copy."""
    if isinstance(backend, PostgresBackend):
        backend.drop_url(url)
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    shutil.rmtree(keys, ignore_errors=True)


def stages_of(report: dict[str, Any]) -> dict[str, Any]:
    """The engine's stages and transform rows/s, when its report has them."""
    stages = report.get("stages")
    out: dict[str, Any] = {"stages": stages}
    transform = report.get("transform_rows_per_second")
    if transform is None and isinstance(stages, dict) and stages.get("transform"):
        transform = report["rows_written"] / stages["transform"]
    out["transform_rows_per_second"] = round(transform) if transform else None
    work = report.get("transform_work") or {}
    out["transform_work"] = work or None  # the rules' own seconds over the processes
    out["transform_work_rows_per_second"] = work.get("rows_per_second_on_those_cores")
    return out


def why_failed(verification: dict[str, Any]) -> str:
    """What a failed verification found, briefly (the copy was deleted)."""
    unequal = [k for k, u in verification.get("unique_columns", {}).items() if not u["equal"]]
    found = {
        "foreign keys": verification.get("foreign_keys", {}).get("problems"),
        "unique columns differing": unequal,
        "live card findings": verification.get("live_card_findings"),
        "source values found": verification.get("source_values_found_in"),
        "fakes equal to their source": verification.get("fakes_equal_to_source"),
    }
    shown = "; ".join(f"{k}: {v}" for k, v in found.items() if v)
    return f"the copy failed verification and was deleted ({shown})"


def kept_template(backend: Backend, kept: Path, customers: int) -> tuple[dict[str, Any], list[str]]:
    """A SQLite template seeded once into ``kept`` and used again by later runs (seeding a
    million customers takes a quarter of an hour; every run still copies it fresh)."""
    told = kept / "seed.json"
    if not told.exists():
        kept.mkdir(parents=True, exist_ok=True)
        seeding = SqliteBackend(kept, PREFIX)
        results, sample = prepare(seeding, customers)
        told.write_text(json.dumps({"customers": customers, "results": results,
                                    "sample": sample}))  # fmt: skip
    saved = json.loads(told.read_text())
    if saved["customers"] != customers:
        msg = f"{kept} holds {saved['customers']:,} customers, not {customers:,}"
        raise SystemExit(msg)
    (backend.root / "template").symlink_to(kept / "template", target_is_directory=True)
    console.print(f"[bold]{backend.name}[/bold]: the template kept in {kept} "
                  f"(seeded in {saved['results']['seed_s']} s)")  # fmt: skip
    return {**saved["results"], "template_kept": str(kept)}, list(saved["sample"])


def measure(backend: Backend, args: argparse.Namespace, check_app: bool) -> dict[str, Any]:
    """Seed, then ``args.runs`` rounds of the three contenders; the figures for the file."""
    if args.sqlite_template is not None and isinstance(backend, SqliteBackend):
        results, sample = kept_template(backend, args.sqlite_template, args.customers)
    else:
        results, sample = prepare(backend, args.customers)
    if args.seed_only:
        return results
    key_file = backend.root / "run.key"
    key_file.write_text(base64.b64encode(os.urandom(32)).decode())
    counted = backend.copy()  # the sealed values counted on a copy (the template stays as is)
    results["crypto_floor"] = ceiling = floor(counted.database_url, results["source_rows"])
    backend.drop(counted)
    console.print(
        f"  the AES-GCM floor: {ceiling['values_opened']:,} values to open at "
        f"{ceiling['open_us']} us, {ceiling['values_sealed']:,} to seal at "
        f"{ceiling['seal_us']} us: {ceiling['crypto_seconds_on_two_cores']} s on two cores, "
        f"so no transform of this store passes "
        f"{ceiling['transform_ceiling_rows_per_second']:,} rows/s here"
    )
    seconds: dict[str, list[float]] = {who: [] for who in CONTENDERS}
    rows: dict[str, int] = {}
    runs: list[dict[str, Any]] = []
    for run in range(args.runs):
        order = CONTENDERS[run % 3 :] + CONTENDERS[: run % 3]
        order = order if run % 2 == 0 else tuple(reversed(order))
        detail: dict[str, Any] = {"order": order}
        for who in order:
            source = backend.copy()
            url, keys = target_for(backend, who, run)
            if who == "plain":
                took, count, info = plain_copy(source, url, keys)
            elif who == "per-row":
                took, count, info = per_row(source, url, keys, args.baseline_fraction)
            else:
                took, count, report = ours(source, url, keys, key_file,
                                           backend.root / f"ours-{run}.json")  # fmt: skip
                info = {"report_seconds": report["seconds"],
                        "verification_passed": report["verification"]["passed"],
                        **stages_of(report)}  # fmt: skip
                passed = report["verification"]["passed"]
                if check_app and run == 0 and passed:
                    detail["checks"] = check_copy(source.database_url, url, keys, sample,
                                                  backend.root)  # fmt: skip
                elif check_app and run == 0:
                    failed = {"ok": False, "detail": why_failed(report["verification"])}
                    detail["checks"] = {"the sanitiser's verification passed": failed}
            seconds[who].append(took)
            rows[who] = count
            detail[who] = {"seconds": round(took, 2), "rows": count, **info}
            inside = f" (engine {info['report_seconds']} s)" if who == "ours" else ""
            console.print(
                f"  run {run + 1} {who:8} {took:8.1f} s  {count / took:>10,.0f} rows/s{inside}"
            )
            backend.drop(source)
            drop_target(backend, url, keys)
        runs.append(detail)
    summary = _summary(backend.name, seconds, rows, runs)
    return {**results, "runs": runs, **summary}


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _summary(
    name: str, seconds: dict[str, list[float]], rows: dict[str, int], runs: list[dict[str, Any]]
) -> dict[str, Any]:
    """Print the table, the ratios and the checklist; return them for the results file."""
    table = Table(title=f"{name}: {rows['ours']:,} rows written by ours")
    for column in ("", "median s", "range s", "rows", "rows/s"):
        table.add_column(column, justify="right" if column else "left")
    per_second = {}
    for who in CONTENDERS:
        med = _median(seconds[who])
        per_second[who] = rows[who] / med
        table.add_row(who, f"{med:.1f}", f"{min(seconds[who]):.1f}-{max(seconds[who]):.1f}",
                      f"{rows[who]:,}", f"{per_second[who]:,.0f}")  # fmt: skip
    engine = [float(r["ours"]["report_seconds"]) for r in runs]
    per_second[ENGINE] = rows["ours"] / _median(engine)
    table.add_row(ENGINE, f"{_median(engine):.1f}", f"{min(engine):.1f}-{max(engine):.1f}",
                  f"{rows['ours']:,}", f"{per_second[ENGINE]:,.0f}")  # fmt: skip
    console.print(table)
    if runs[0]["per-row"].get("scaled"):
        console.print(f"  per-row ran on {runs[0]['per-row']['fraction']:.0%} of each table "
                      "and was scaled up (its fixed part, migrations, not scaled)")  # fmt: skip
    vs_plain = _median(seconds["ours"]) / _median(seconds["plain"])
    engine_vs_plain = _median(engine) / _median(seconds["plain"])
    vs_row = _median(seconds["per-row"]) / _median(seconds["ours"])
    waited = [r["ours"]["transform_rows_per_second"] for r in runs]
    worked = [r["ours"].get("transform_work_rows_per_second") for r in runs]
    # the stricter of the two readings: rows over the parent's wait for the workers, and
    # rows over the rules' own work shared by the cores that did it
    transform = [min(w for w in pair if w) if any(pair) else None
                 for pair in zip(waited, worked, strict=True)]  # fmt: skip
    transform_med = _median([t for t in transform if t]) if all(transform) else None

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("[green]met[/green]" if ok else "[red]MISSED[/red]")

    console.print(f"  ours / plain: {vs_plain:.2f}x (target <= {TARGET_PLAIN:.0f}x): "
                  f"{verdict(vs_plain <= TARGET_PLAIN)}")  # fmt: skip
    console.print(f"  (by its report's own seconds, without process start-up: "
                  f"{engine_vs_plain:.2f}x)")  # fmt: skip
    console.print(f"  ours vs per-row: {vs_row:.2f}x faster (target >= {TARGET_PER_ROW:.0f}x): "
                  f"{verdict(vs_row >= TARGET_PER_ROW)}")  # fmt: skip
    if all(worked) and all(waited):
        console.print(f"  transform: {_median(waited):,.0f} rows/s over the parent's wait for "
                      f"the workers, {_median(worked):,.0f} rows/s over the rules' own work "
                      "shared by the cores (the lower is judged)")  # fmt: skip
    shown = f"{transform_med:,.0f} rows/s" if transform_med else "not reported by the engine"
    met = None if transform_med is None else transform_med >= TARGET_TRANSFORM
    console.print(f"  transform stage: {shown} (target >= {TARGET_TRANSFORM:,}): {verdict(met)}")
    if runs[0]["ours"].get("stages"):
        console.print(f"  ours by stage (s, run 1): {runs[0]['ours']['stages']}")
    checks = runs[0].get("checks")
    if checks:
        console.print(f"  [bold]{name} copy checklist[/bold]")
        for item, found in checks.items():
            mark = "[green]yes[/green]" if found["ok"] else "[red]NO[/red]"
            console.print(f"    {mark}  {item}: {found['detail']}")
    return {
        "seconds": {w: {"median": round(_median(s), 2), "min": round(min(s), 2),
                        "max": round(max(s), 2)} for w, s in seconds.items()},
        "ours_engine_seconds": {"median": round(_median(engine), 2), "min": min(engine),
                                "max": max(engine)},
        "rows": rows,
        "rows_per_second": {w: round(v) for w, v in per_second.items()},
        "ours_over_plain": round(vs_plain, 2),
        "ours_engine_seconds_over_plain": round(engine_vs_plain, 2),
        "per_row_over_ours": round(vs_row, 2),
        "transform_rows_per_second": transform_med,
        "transform_waited_rows_per_second": _median(waited) if all(waited) else None,
        "transform_work_rows_per_second": _median(worked) if all(worked) else None,
        "targets_met": {
            "ours <= 2x plain": vs_plain <= TARGET_PLAIN,
            "ours >= 5x per-row": vs_row >= TARGET_PER_ROW,
            "transform >= 500k rows/s": None if transform_med is None
            else transform_med >= TARGET_TRANSFORM,
        },
        "checks_passed": None if not checks else all(c["ok"] for c in checks.values()),
    }  # fmt: skip


def _arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, help="people (default 1,000,000; --quick 100,000)")
    parser.add_argument(
        "--quick", action="store_true", help="100,000 customers, 3 runs, the copy checked on PG"
    )
    parser.add_argument("--runs", type=int, help="rounds (default 1 at 1M, else 3)")
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--baseline-fraction", type=float,
                        help="share of each table the per-row baseline copies, then scaled "
                        "(default 1 up to 20,000 customers, else 0.1)")  # fmt: skip
    parser.add_argument("--check-app", action="store_true", help="check the copy (see above)")
    parser.add_argument("--results", help="results file name under bench/results (no .json)")
    parser.add_argument(
        "--sqlite-template",
        type=Path,
        help="keep the seeded SQLite template in this folder and use it again",
    )
    parser.add_argument("--seed-only", action="store_true",
                        help="seed (with --sqlite-template: keep) and measure nothing")  # fmt: skip
    args = parser.parse_args(argv)
    if args.customers is None:
        args.customers = 100_000 if args.quick else 1_000_000
    if args.runs is None:
        args.runs = 1 if args.customers >= 1_000_000 else 3
    if args.baseline_fraction is None:
        args.baseline_fraction = 1.0 if args.customers <= 20_000 else 0.1
    if not 0 < args.baseline_fraction <= 1:
        parser.error("--baseline-fraction: a share above 0 and at most 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Seed, measure, print and record; the results."""
    args = _arguments(argv)
    names = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in names and not pg_available():
        console.print(f"PostgreSQL does not answer at {PG_ADMIN_URL}: SQLite only")
        names.remove("postgresql")
    results: dict[str, Any] = {"customers": args.customers, "runs": args.runs,
                               "baseline_fraction": args.baseline_fraction,
                               "load_average_before": os.getloadavg()[0]}  # fmt: skip
    for name in names:
        root = Path(tempfile.mkdtemp(prefix=f"bench-sanitize-{name}-"))
        check_app = args.check_app or (args.quick and name == "postgresql")
        with backend_for(name, root, PREFIX) as backend:
            results[name] = measure(backend, args, check_app)
    if args.seed_only:
        console.print("seeded; nothing measured (--seed-only)")
        return results
    results["load_average_after"] = os.getloadavg()[0]
    console.print(f"load average (1 min) before/after: {results['load_average_before']:.1f}"
                  f"/{results['load_average_after']:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    name = args.results or (
        "sanitize" if args.customers == 1_000_000 else f"sanitize-{args.customers}"
    )
    console.print(f"results: {record(name, results)}")
    return results


if __name__ == "__main__":
    main()
