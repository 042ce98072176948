"""Audit sealing: CPU per audited unit of work, sealing in the commit vs in the background.

One audited unit of work = ``Platform.unit_of_work`` -> ``UnitOfWork.audit`` (one event)
-> commit, back to back, as API reads arrive under load. Three ways, interleaved in the
same run on the same database:

* ``sync`` -- ``KLAREMONT_AUDIT_SEAL_INTERVAL_MS=0``: each commit signs an Ed25519
  checkpoint and appends it with ``fsync`` before it returns (the baseline: what shipped).
* ``background`` -- the default (250 ms): a commit notes its head and wakes the sealer
  thread, which writes at most one checkpoint per interval.
* ``unsealed`` -- the log's listeners not installed, so no checkpoint at all: the floor,
  what the append alone costs.

CPU is this process (every thread, so the sealer's work counts) plus, on PostgreSQL, the
backends serving the benchmark database (from /proc); each repetition ends with
``flush()``, so the last checkpoint is inside the measurement. Median of the repetitions
after one warm-up; also wall time per unit of work and checkpoint lines written.

Run: .venv/bin/python bench/bench_audit_seal.py [--quick] [--sqlite-only|--pg-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from _common import record
from klaremont.audit.events import Actor, ActorType
from klaremont.config import Environment, Settings
from klaremont.customers.actions import CustomerAction
from klaremont.platform import Platform

PG_ADMIN_URL = os.environ.get(
    "KLAREMONT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ACTOR = Actor(ActorType.STAFF, "derek")
_CLK = os.sysconf("SC_CLK_TCK")


def _settings(root: Path, database_url: str, keystore_url: str, interval_ms: int) -> Settings:
    return Settings(
        environment=Environment.TEST,
        var_dir=root / "var",
        database_url=database_url,
        keystore_url=keystore_url,
        audit_seal_interval_ms=interval_ms,
    )


def _pg_admin(*statements: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@contextmanager
def databases(backend: str, root: Path) -> Iterator[tuple[str, str, str | None]]:
    """``(database_url, keystore_url, PostgreSQL database name)``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{root / 'klaremont.db'}", f"sqlite:///{root / 'keystore.db'}", None
        return
    names = (f"kbench_seal_{os.getpid()}", f"kbench_seal_{os.getpid()}_ks")
    _pg_admin(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))
    _pg_admin(*(f'CREATE DATABASE "{n}"' for n in names))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}", names[0]
    finally:
        _pg_admin(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))


def db_cpu_s(dbname: str | None) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving ``dbname`` (same host)."""
    if dbname is None:
        return 0.0
    needle = f" {dbname} ".encode()
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "cmdline").read_bytes().startswith(b"postgres: "):
                continue
            if needle not in (entry / "cmdline").read_bytes():
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _CLK
    return total


def lines(path: Path) -> int:
    """Lines in the checkpoint file."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


def workload(platform: Platform, count: int) -> Callable[[], None]:
    """``count`` audited units of work, one event each, then seal what is pending."""

    def run() -> None:
        for i in range(count):
            with platform.unit_of_work(actor=ACTOR, origin="10.0.0.7", request_id="r1") as uow:
                uow.audit(
                    CustomerAction.PERSONAL_DATA_READ,
                    resource=f"customer/{i}",
                    purpose="customer_service",
                    details={"fields": ["name", "email", "postcode"]},
                )
        platform.audit.flush()

    return run


def bench_backend(backend: str, root: Path, count: int, reps: int) -> dict[str, Any]:
    """Interleaved repetitions of the three ways on one database; medians per unit of work."""
    with databases(backend, root) as (data_url, keys_url, dbname):
        sync = Platform.build(_settings(root, data_url, keys_url, 0))
        sync.upgrade()
        background = Platform.build(_settings(root, data_url, keys_url, 250))
        # the same platform, but its sessions carry no audit listeners: nothing is sealed
        unsealed = replace(sync, sessions=sessionmaker(sync.engine, expire_on_commit=False))
        ways = {  # background last: its flush seals the unsealed way's events too
            "unsealed": workload(unsealed, count),
            "sync": workload(sync, count),
            "background": workload(background, count),
        }
        checkpoint_file = sync.audit.checkpoint_file
        samples: dict[str, dict[str, list[float]]] = {
            name: {"cpu": [], "wall": [], "lines": []} for name in ways
        }
        try:
            for rep in range(reps + 1):
                for name, run in ways.items():
                    lines0, db0 = lines(checkpoint_file), db_cpu_s(dbname)
                    cpu0, wall0 = time.process_time(), time.perf_counter()
                    run()
                    wall = time.perf_counter() - wall0
                    cpu = time.process_time() - cpu0 + db_cpu_s(dbname) - db0
                    if rep:  # the first repetition warms up
                        samples[name]["cpu"].append(cpu / count)
                        samples[name]["wall"].append(wall / count)
                        samples[name]["lines"].append(lines(checkpoint_file) - lines0)
            report = background.audit.verify(background.engine)
            if not report.ok or report.unsealed_tail:
                msg = f"the benchmark log does not verify sealed: {report.summary()}"
                raise RuntimeError(msg)
        finally:
            background.dispose()
            sync.dispose()
    out: dict[str, Any] = {"units_per_rep": count, "reps": reps}
    for name, s in samples.items():
        out[name] = {
            "cpu_ms_per_unit": round(statistics.median(s["cpu"]) * 1000, 4),
            "wall_ms_per_unit": round(statistics.median(s["wall"]) * 1000, 4),
            "checkpoint_lines_per_rep": round(statistics.median(s["lines"])),
        }
    sync_cpu = out["sync"]["cpu_ms_per_unit"]
    bg_cpu = out["background"]["cpu_ms_per_unit"]
    floor = out["unsealed"]["cpu_ms_per_unit"]
    out["ratio_background_to_sync_cpu"] = round(bg_cpu / sync_cpu, 3)
    out["sealing_cpu_ms_sync"] = round(sync_cpu - floor, 4)
    out["sealing_cpu_ms_background"] = round(bg_cpu - floor, 4)
    print(f"\n{backend}: {count:,} audited units of work per repetition, median of {reps}")
    print(f"  {'':12}{'CPU ms/unit':>12}{'wall ms/unit':>14}{'checkpoints':>13}")
    for name in ways:
        row = out[name]
        print(
            f"  {name:12}{row['cpu_ms_per_unit']:12.3f}{row['wall_ms_per_unit']:14.3f}"
            f"{row['checkpoint_lines_per_rep']:13,}"
        )
    print(
        f"  background / sync CPU: {out['ratio_background_to_sync_cpu']:.2f}x; sealing costs "
        f"{out['sealing_cpu_ms_sync']:.3f} ms CPU per unit in the commit, "
        f"{out['sealing_cpu_ms_background']:.3f} ms in the background"
    )
    return out


def main() -> None:
    """Run on SQLite and PostgreSQL and record bench/results/audit_seal[-quick].json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sqlite-only", action="store_true")
    group.add_argument("--pg-only", action="store_true")
    args = parser.parse_args()
    count, reps = (200, 2) if args.quick else (2000, 5)
    backends = ["sqlite", "postgresql"]
    if args.sqlite_only:
        backends = ["sqlite"]
    elif args.pg_only:
        backends = ["postgresql"]
    results: dict[str, Any] = {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0]}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="kbench-seal-") as tmp:
            results[backend] = bench_backend(backend, Path(tmp), count, reps)
    path = record("audit_seal-quick" if args.quick else "audit_seal", results)
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
