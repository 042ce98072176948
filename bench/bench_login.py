"""Staff login: throughput and p99 with the policy's Argon2id cost, and the lockout step's overhead.

Argon2id parameters come from the shipped policy file (``passwords.hash``): m = 19,456 KiB
(19 MiB), t = 2, p = 1 -- the OWASP Password Storage Cheat Sheet's recommended minimum for
argon2id. It is memory-hard (an attacker's GPU or ASIC pays 19 MiB per guess in flight)
while one verification stays in the tens of milliseconds, so 3 attempts per lockout and
normal sign-in traffic cost the server little.

Subject: ``authenticate()`` -- the one password check, with its atomic lockout claim
(``UPDATE ... failed_attempts + 1 ... RETURNING``) before the verification and the reset
after it, plus the audit event. Baseline, same run, interleaved: the same login without
the lockout step (find the account, verify, audit). The ratio is subject / baseline.
Also: Argon2 verification alone, the lockout statements alone (no hashing), and
throughput with parallel threads over distinct accounts.

Run: .venv/bin/python bench/bench_login.py [--logins N] [--threads T] [--sqlite-only|--pg-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text, update

from _common import record, summary
from klaremont.audit.events import Actor, ActorType
from klaremont.clock import ManualClock
from klaremont.config import Environment, Settings
from klaremont.platform import Platform
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.hashing import hashing_for
from klaremont.staff.lookup import find_account
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role
from klaremont.staff.service_accounts import NewAccount, create_account
from klaremont.staff.service_authn import Channel, Credentials, authenticate

PG_ADMIN_URL = os.environ.get(
    "KLAREMONT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "violet-harbour-quietly-9-ferns"  # noqa: S105 - a benchmark account's password
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    return True


def _pg_databases(tag: str) -> tuple[str, str, Callable[[], None]]:
    names = (f"bench_login_{tag}_{os.getpid()}", f"bench_login_{tag}_{os.getpid()}_ks")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]

    def drop() -> None:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{base}/{names[0]}", f"{base}/{names[1]}", drop


def build_platform(var_dir: Path, database_url: str, keystore_url: str) -> Platform:
    """A migrated platform on a fresh database."""
    settings = Settings(
        environment=Environment.TEST,
        var_dir=var_dir,
        database_url=database_url,
        keystore_url=keystore_url,
    )
    platform = Platform.build(settings, clock=ManualClock(START))
    platform.upgrade()
    return platform


def seed(platform: Platform, count: int) -> list[str]:
    """``count`` accounts with the same known password."""
    names = [f"bench{i:03d}" for i in range(count)]
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "bench")) as uow:
        for name in names:
            create_account(
                uow,
                NewAccount(
                    username=name,
                    full_name=f"Bench {name}",
                    work_email=f"{name}@bench.example",
                    job_role=Role.ENGINEER,
                    password=PASSWORD,
                ),
                created_by="bench",
            )
    return names


def login_with_lockout(platform: Platform, username: str) -> None:
    """The real login: lockout claim, verify, reset, audit."""
    with platform.unit_of_work(origin="127.0.0.1") as uow:
        result = authenticate(uow, Credentials(username, PASSWORD), Channel.API)
    if not result.ok:
        raise AssertionError(f"login of {username} failed: {result.reason}")


def login_without_lockout(platform: Platform, username: str) -> None:
    """Baseline: the same login minus the lockout step (find, verify, audit)."""
    with platform.unit_of_work(origin="127.0.0.1") as uow:
        account = find_account(uow, username)
        if account is None or not hashing_for(platform).verify(account.password_hash, PASSWORD):
            raise AssertionError(f"baseline login of {username} failed")
        audit_staff(uow, StaffEvent.LOGIN, account, details={"channel": "api", "bench": True})


def lockout_statements_only(platform: Platform, account_id: uuid.UUID) -> None:
    """The lockout step's own SQL (claim and reset) without any hashing."""
    with platform.unit_of_work() as uow:
        uow.session.execute(
            update(StaffAccount)
            .where(StaffAccount.id == account_id, StaffAccount.failed_attempts < 3)
            .values(failed_attempts=StaffAccount.failed_attempts + 1)
            .returning(StaffAccount.failed_attempts)
            .execution_options(synchronize_session=False)
        ).first()
        uow.session.execute(
            update(StaffAccount)
            .where(StaffAccount.id == account_id)
            .values(failed_attempts=0)
            .returning(StaffAccount.id)
            .execution_options(synchronize_session=False)
        ).first()


def timed(call: Callable[[], None]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1e9


def throughput(call: Callable[[str], None], names: list[str], total: int, threads: int) -> float:
    """Logins per second with ``threads`` workers spreading over distinct accounts."""
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(call, (names[i % len(names)] for i in range(total))))
    return total / (time.perf_counter() - started)


def run(backend: str, platform: Platform, logins: int, threads: int) -> dict[str, Any]:
    """Measure one backend."""
    names = seed(platform, max(threads * 8, 16))  # distinct accounts: no row-lock queueing
    hashing = hashing_for(platform)
    stored = hashing.hash(PASSWORD)
    for _ in range(5):  # warm-up: connections, caches, the dummy hash
        login_with_lockout(platform, names[0])
        login_without_lockout(platform, names[0])
    verify = [timed(lambda: hashing.verify(stored, PASSWORD)) for _ in range(max(20, logins // 4))]
    subject: list[float] = []
    baseline: list[float] = []
    for i in range(logins):  # interleaved, so drift hits both equally
        name = names[i % len(names)]
        subject.append(timed(lambda n=name: login_with_lockout(platform, n)))
        baseline.append(timed(lambda n=name: login_without_lockout(platform, n)))
    with platform.unit_of_work() as uow:
        account = find_account(uow, names[0])
        if account is None:
            raise AssertionError("seeded account missing")
        account_id = account.id
    statements = [
        timed(lambda: lockout_statements_only(platform, account_id)) for _ in range(logins)
    ]
    concurrent_subject = throughput(
        lambda n: login_with_lockout(platform, n), names, logins, threads
    )
    concurrent_baseline = throughput(
        lambda n: login_without_lockout(platform, n), names, logins, threads
    )
    overhead_ms = (statistics.fmean(subject) - statistics.fmean(baseline)) * 1000
    return {
        "backend": backend,
        "argon2": hashing.describe(),
        "argon2_verify": summary(verify),
        "login": {
            **summary(subject),
            "per_second_1_thread": round(1 / statistics.fmean(subject), 1),
        },
        "login_without_lockout": {
            **summary(baseline),
            "per_second_1_thread": round(1 / statistics.fmean(baseline), 1),
        },
        "lockout_statements_only": summary(statements),
        "lockout_overhead_ms": round(overhead_ms, 3),
        "ratio_mean": round(statistics.fmean(subject) / statistics.fmean(baseline), 3),
        "ratio_p99": round(summary(subject)["p99_ms"] / summary(baseline)["p99_ms"], 3),
        "threads": threads,
        "login_per_second_threads": round(concurrent_subject, 1),
        "baseline_per_second_threads": round(concurrent_baseline, 1),
    }


def report(result: dict[str, Any]) -> None:
    """Print one backend's numbers."""
    login, base = result["login"], result["login_without_lockout"]
    print(f"\n== {result['backend']}: {result['argon2']}")
    print(
        f"argon2 verify alone        p50 {result['argon2_verify']['p50_ms']:8.2f} ms   "
        f"p99 {result['argon2_verify']['p99_ms']:8.2f} ms"
    )
    print(
        f"login (with lockout)       p50 {login['p50_ms']:8.2f} ms   p99 {login['p99_ms']:8.2f} ms"
        f"   {login['per_second_1_thread']:7.1f}/s on 1 thread"
    )
    print(
        f"login without lockout      p50 {base['p50_ms']:8.2f} ms   p99 {base['p99_ms']:8.2f} ms"
        f"   {base['per_second_1_thread']:7.1f}/s on 1 thread   (baseline)"
    )
    stmts = result["lockout_statements_only"]
    print(
        f"lockout SQL alone          p50 {stmts['p50_ms']:8.2f} ms   "
        f"p99 {stmts['p99_ms']:8.2f} ms   (claim + reset in their own transaction, with commit)"
    )
    print(
        f"lockout overhead per login {result['lockout_overhead_ms']:+.3f} ms   "
        f"ratio (mean) {result['ratio_mean']:.3f}   ratio (p99) {result['ratio_p99']:.3f}"
    )
    threads = f"{result['threads']} threads"
    print(
        f"{threads:<27}login {result['login_per_second_threads']:7.1f}/s   "
        f"baseline {result['baseline_per_second_threads']:7.1f}/s"
    )


def main() -> None:
    """Run on SQLite and, when reachable, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--logins", type=int, default=200, help="logins per variant")
    parser.add_argument(
        "--threads", type=int, default=os.cpu_count() or 2, help="threads for the throughput run"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sqlite-only", action="store_true")
    group.add_argument("--pg-only", action="store_true")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.pg_only:
            root = Path(tmp)
            platform = build_platform(
                root / "var", f"sqlite:///{root / 'data.db'}", f"sqlite:///{root / 'keys.db'}"
            )
            try:
                results.append(run("sqlite", platform, args.logins, args.threads))
            finally:
                platform.dispose()
            report(results[-1])
        if not args.sqlite_only and _pg_available():
            data, keys, drop = _pg_databases(uuid.uuid4().hex[:8])
            platform = build_platform(Path(tmp) / "pgvar", data, keys)
            try:
                results.append(run("postgresql", platform, args.logins, args.threads))
            finally:
                platform.dispose()
                drop()
            report(results[-1])
    path = record("login", {"results": results, "logins": args.logins})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
