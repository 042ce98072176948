"""API customer read: purpose-checked, decrypted, audited -- against a bare endpoint, same run.

Subject: ``GET /api/customers/{id}?purpose=support`` on the real app (card-data guard
middleware installed, bearer API token of a support agent): authenticate the token, check
the permission, ``authorise()`` the purpose for the subject, decrypt the account's fields
and addresses under the subject's data key, append a ``personal.read`` audit event (hash
chain, signed checkpoint with fsync after commit), commit.
Baseline: a bare FastAPI endpoint reading the same customer row with SQLAlchemy through the
same engine settings -- no authentication, purpose check, decryption or audit.

Both are served by uvicorn on loopback (``--processes`` each, default 1, sharing a port
with SO_REUSEPORT) and driven by an asyncio load generator speaking HTTP/1.1 keep-alive
directly (one credential per connection), one server at a time: an open-loop run at a
fixed 200 requests/s for ~10 s (latency counted from each request's scheduled start, so
queueing is not hidden), then a closed-loop max-throughput run that also reads the server
processes' CPU time per request (a figure machine load distorts far less than wall time).
Each server process admits ``--in-flight`` requests at a time (see :class:`InFlightLimit`).
Targets: subject >= 50 % of bare throughput; subject p99 < 25 ms at 200 rps. PostgreSQL
when one answers at ``KLAREMONT_BENCH_PG_URL`` (default 127.0.0.1:5432, user postgres),
else SQLite (said so in the output).

Run: .venv/bin/python bench/bench_customer_read.py [--seconds 10] [--rate 200]
     [--processes 1] [--in-flight 4] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, text

from _common import free_port, record, summary, wait_http

PG_ADMIN_URL = os.environ.get(
    "KLAREMONT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# per process, so two runs at once do not drop each other's databases
DATABASES = (f"bench_customer_read_{os.getpid()}", f"bench_customer_read_{os.getpid()}_ks")
PASSWORD = "violet-harbour-quietly-9-ferns"  # noqa: S105 - a throwaway benchmark account
CUSTOMERS = 200
MAX_CONNECTIONS = 256
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0


# ---------------------------------------------------------------- servers (child processes)


class InFlightLimit:
    """Queue requests beyond ``limit`` in flight before they start (a bulkhead).

    The app holds a pooled database connection from its first dependency to its commit, and
    FastAPI runs the dependencies and the endpoint as separate thread-pool jobs. With more
    requests in flight than threads plus connections, requests holding a connection can wait
    for a thread while every thread waits for a connection: the pool's 30 s timeout then
    breaks the stall. Below the pool size that cannot happen. Both servers get the same
    limit (``--in-flight 0`` turns it off to show the stall).
    """

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Wait for a slot, then run the request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)


def _run(app: Any, port: int, in_flight: int) -> None:
    """Serve on ``port`` with SO_REUSEPORT, so several server processes can share the port."""
    import uvicorn  # noqa: PLC0415 - child process only

    served = InFlightLimit(app, in_flight) if in_flight else app
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # uvicorn treats a passed descriptor as a Unix socket and so never sets TCP_NODELAY on
    # the connections; set it on the listener, whose accepted sockets inherit it on Linux.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    uvicorn.run(served, fd=sock.fileno(), log_level="warning", access_log=False)


def _settings(var_dir: str, database_url: str, keystore_url: str) -> Any:
    from klaremont.config import Environment, Settings  # noqa: PLC0415 - child process only

    return Settings(
        environment=Environment.DEVELOPMENT,
        var_dir=Path(var_dir),
        database_url=database_url,
        keystore_url=keystore_url,
    )


def serve_klaremont(
    port: int, var_dir: str, database_url: str, keystore_url: str, in_flight: int
) -> None:
    """The real app, as ``klaremont serve`` builds it, plus the card-data guard middleware."""
    from klaremont import logging as klog  # noqa: PLC0415
    from klaremont.platform import Platform  # noqa: PLC0415
    from klaremont.web.app import create_app, settle_for_serving  # noqa: PLC0415
    from klaremont.web.card_guard import install  # noqa: PLC0415

    klog.configure(json=True)
    app = create_app(Platform.build(_settings(var_dir, database_url, keystore_url)))
    install(app)
    settle_for_serving()  # as ``klaremont serve`` does before serving
    _run(app, port, in_flight)


def serve_bare(port: int, database_url: str, in_flight: int) -> None:
    """A bare FastAPI endpoint reading the same row: no auth, purpose, decryption or audit."""
    from fastapi import FastAPI, HTTPException  # noqa: PLC0415
    from sqlalchemy.orm import Session  # noqa: PLC0415

    from klaremont.customers.models import Customer  # noqa: PLC0415
    from klaremont.db.engine import make_engine  # noqa: PLC0415

    engine = make_engine(database_url)
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/customers/{customer_id}")
    def read(customer_id: uuid.UUID) -> dict[str, Any]:
        with Session(engine) as session:
            row = session.get(Customer, customer_id)
            if row is None:
                raise HTTPException(404)
            return {
                "id": str(row.id),
                "reference": row.reference,
                "channel": row.channel,
                "created_at": row.created_at.isoformat(),
                "name": row._name_sealed.hex() if row._name_sealed else None,  # noqa: SLF001 - ciphertext as stored
                "email": row._email_sealed.hex() if row._email_sealed else None,  # noqa: SLF001
            }

    _run(app, port, in_flight)


# ---------------------------------------------------------------- setup


def pg_available() -> bool:
    """True when the PostgreSQL server answers."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    return True


def pg_databases(*, drop_only: bool = False) -> tuple[str, str]:
    """Fresh data store and keystore databases on the PostgreSQL server."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in DATABASES:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if not drop_only:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{DATABASES[0]}", f"{base}/{DATABASES[1]}"


def prepare(var_dir: str, database_url: str, keystore_url: str) -> tuple[str, list[str]]:
    """Migrate, create customers and a support agent's API tokens (one per client connection);
    return the id of the customer to read and the tokens."""
    from klaremont.audit.events import Actor, ActorType  # noqa: PLC0415
    from klaremont.customers import service  # noqa: PLC0415
    from klaremont.customers.models import AddressKind, CollectionChannel  # noqa: PLC0415
    from klaremont.customers.schemas import AddressIn, CustomerCreate  # noqa: PLC0415
    from klaremont.platform import Platform  # noqa: PLC0415
    from klaremont.staff import service_accounts, service_sessions  # noqa: PLC0415
    from klaremont.staff.permissions import Role  # noqa: PLC0415

    platform = Platform.build(_settings(var_dir, database_url, keystore_url))
    platform.upgrade()
    ids = []
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "klaremont")) as uow:
        for i in range(CUSTOMERS):
            body = CustomerCreate(
                name=f"Bench Customer {i}",
                email=f"bench{i}@example.com",
                phone="0113 496 0000",
                mobile=f"07700 900{i % 1000:03d}",
                channel=CollectionChannel.WEBSITE_PURCHASE,
                addresses=[
                    AddressIn(
                        kind=AddressKind.POSTAL,
                        line1=f"{i} High St",
                        town="Leeds",
                        postcode="LS1 1AA",
                    )
                ],
            )
            ids.append(service.create_customer(uow, body).id)
        created = service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username="bench-agent",
                full_name="Bench Agent",
                work_email="bench-agent@klaremont.example",
                job_role=Role.SUPPORT_AGENT,
                password=PASSWORD,
                vetted_on=uow.clock.now().date(),
            ),
            created_by="bench",
        )
        tokens = [
            service_sessions.create_api_token(
                # issued after a sign-in with the second factor, as the policy asks of a
                # role that can read card data
                uow,
                created.account,
                name=f"bench-{n}",
                scopes=["read"],
                days=1,
                mfa=True,
            ).token
            for n in range(MAX_CONNECTIONS)
        ]
    platform.dispose()
    return str(ids[CUSTOMERS // 2]), tokens


# ---------------------------------------------------------------- load generator


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]


class Connections:
    """Keep-alive HTTP/1.1 connections to one server, spoken directly over asyncio streams.

    A few lines of protocol instead of a full client library keep the generator's own cost per
    request small, so on a small machine it measures the servers rather than itself.
    """

    def __init__(self, url: str, tokens: list[str], size: int) -> None:
        parts = httpx.URL(url)
        self.host, self.port = parts.host, parts.port or 80
        head = f"GET {parts.raw_path.decode()} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        # one credential per connection, as separate clients would have (none for the bare server)
        self.requests = [
            (head + (f"Authorization: Bearer {t}\r\n" if t else "") + "\r\n").encode()
            for t in (tokens or [""])
        ]
        self.idle: asyncio.Queue[Connection] = asyncio.Queue()
        self.size = size
        self.opened = 0

    async def get(self) -> int:
        """One request; returns the status code (0 when the connection failed)."""
        if self.idle.empty() and self.opened < self.size:
            request = self.requests[self.opened % len(self.requests)]
            self.opened += 1
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.idle.put_nowait((reader, writer, request))
        reader, writer, request = await self.idle.get()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            writer.close()
            self.opened -= 1
            return 0
        self.idle.put_nowait((reader, writer, request))
        return status

    def close(self) -> None:
        """Close every idle connection."""
        while not self.idle.empty():
            self.idle.get_nowait()[1].close()


async def open_loop(url: str, tokens: list[str], rate: float, seconds: float) -> dict[str, Any]:
    """Send at a fixed rate regardless of answers; latency from each scheduled start.

    One dispatcher starts each request at its due time (creating every request up front
    made the first ones late by the time that took, whichever server was measured).
    """
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    pool = Connections(url, tokens, MAX_CONNECTIONS)
    running: set[asyncio.Task[None]] = set()

    async def one(due: float) -> None:
        nonlocal errors
        errors += await pool.get() != 200
        latencies.append(time.perf_counter() - due)

    with generator_quiet():
        started = time.perf_counter()
        for i in range(total):
            due = started + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            task = asyncio.create_task(one(due))
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)
        elapsed = time.perf_counter() - started
    pool.close()
    return {
        "requests": total,
        "errors": errors,
        "rps": round(total / elapsed, 1),
        **summary(latencies),
    }


@contextmanager
def generator_quiet() -> Iterator[None]:
    """No garbage collection in the load generator during a measured run.

    Collected before the run instead: a collection of the previous runs' garbage landed at
    the start of the next run, delaying its first requests by up to 100 ms -- a cost of the
    generator, charged to whichever server happened to be measured second.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def closed_loop(url: str, tokens: list[str], workers: int, seconds: float) -> dict[str, Any]:
    """As fast as the server answers, ``workers`` requests in flight."""
    latencies: list[float] = []
    errors = 0
    pool = Connections(url, tokens, workers)

    async def worker(stop: float) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            began = time.perf_counter()
            errors += await pool.get() != 200
            latencies.append(time.perf_counter() - began)

    with generator_quiet():
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds) for _ in range(workers)))
        elapsed = time.perf_counter() - started
    pool.close()
    done = len(latencies)
    return {
        "requests": done,
        "errors": errors,
        "rps": round(done / elapsed, 1),
        **summary(latencies),
    }


def measure(
    url: str, tokens: list[str], args: argparse.Namespace, pids: list[int]
) -> dict[str, Any]:
    """Warm up, then the fixed-rate run and the max-throughput run (with the servers' CPU)."""
    asyncio.run(closed_loop(url, tokens, 4, 2.0))
    fixed = asyncio.run(open_loop(url, tokens, args.rate, args.seconds))
    progress(f"  fixed rate: {fixed['rps']} req/s, p99 {fixed['p99_ms']} ms")
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    peak = asyncio.run(closed_loop(url, tokens, args.workers, args.seconds))
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
    peak["server_cpu_ms_per_request"] = round(cpu * 1000 / max(1, peak["requests"]), 3)
    progress(
        f"  max throughput: {peak['rps']} req/s, p99 {peak['p99_ms']} ms, "
        f"server CPU {peak['server_cpu_ms_per_request']} ms/request"
    )
    return {"fixed_rate": fixed, "max_throughput": peak}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def progress(line: str) -> None:
    """One line of progress, at once."""
    print(line, flush=True)


def start(argv: list[str], port: int, processes: int) -> list[subprocess.Popen[bytes]]:
    """Start ``processes`` server processes sharing ``port``; wait until it answers."""
    procs = [
        subprocess.Popen(  # noqa: S603 - this very script
            [sys.executable, __file__, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(processes)
    ]
    try:
        wait_http(f"http://127.0.0.1:{port}/health", timeout=60)
        time.sleep(1.0 if processes > 1 else 0)  # let every process finish starting
    except TimeoutError:
        stop(procs)
        raise
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate server processes (kill any that linger)."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    """Parse arguments; serve (as a child) or run the benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=["klaremont", "bare"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--var")
    parser.add_argument("--db")
    parser.add_argument("--ks")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument(
        "--in-flight", type=int, default=4, help="requests in flight per process (0: no limit)"
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="uvicorn processes per server (one port)"
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="use SQLite even if PostgreSQL answers"
    )
    args = parser.parse_args()
    if args.serve == "klaremont":
        serve_klaremont(args.port, args.var, args.db, args.ks, args.in_flight)
        return
    if args.serve == "bare":
        serve_bare(args.port, args.db, args.in_flight)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    """The benchmark itself."""
    backend = "postgresql" if not args.sqlite and pg_available() else "sqlite"
    if backend == "sqlite":
        progress("PostgreSQL is not used (not reachable or --sqlite): measuring on SQLite")
    with tempfile.TemporaryDirectory() as tmp:
        var_dir = str(Path(tmp) / "var")
        if backend == "postgresql":
            database_url, keystore_url = pg_databases()
        else:
            database_url = f"sqlite:///{tmp}/klaremont.db"
            keystore_url = f"sqlite:///{tmp}/keystore.db"
        progress(f"preparing {backend}: migrations, {CUSTOMERS} customers, API tokens")
        customer_id, tokens = prepare(var_dir, database_url, keystore_url)
        ports = {"klaremont": free_port(), "bare": free_port()}
        common = ["--var", var_dir, "--db", database_url, "--ks", keystore_url]
        common += ["--in-flight", str(args.in_flight)]
        servers = {
            name: start(["--serve", name, "--port", str(port), *common], port, args.processes)
            for name, port in ports.items()
        }
        try:
            progress("bare endpoint")
            bare = measure(
                f"http://127.0.0.1:{ports['bare']}/customers/{customer_id}",
                [],
                args,
                [p.pid for p in servers["bare"]],
            )
            progress("klaremont customer read")
            subject = measure(
                f"http://127.0.0.1:{ports['klaremont']}/api/customers/{customer_id}?purpose=support",
                tokens,
                args,
                [p.pid for p in servers["klaremont"]],
            )
        finally:
            for procs in servers.values():
                stop(procs)
            if backend == "postgresql":
                pg_databases(drop_only=True)
    report(backend, subject, bare, args)


def report(
    backend: str, subject: dict[str, Any], bare: dict[str, Any], args: argparse.Namespace
) -> None:
    """Print the figures, the ratio and the verdicts; record them."""
    ratio = subject["max_throughput"]["rps"] / bare["max_throughput"]["rps"]
    cpu_ratio = (
        bare["max_throughput"]["server_cpu_ms_per_request"]
        / subject["max_throughput"]["server_cpu_ms_per_request"]
    )
    p99 = subject["fixed_rate"]["p99_ms"]
    print(
        f"backend: {backend}; {args.processes} uvicorn process(es) each; loopback; "
        f"{os.cpu_count()} CPUs; "
        f"in-flight limit {args.in_flight or 'none'}"
    )
    for name, data in (("klaremont read", subject), ("bare endpoint", bare)):
        fixed, peak = data["fixed_rate"], data["max_throughput"]
        print(
            f"{name:15s} fixed {args.rate:.0f}/s: {fixed['rps']:7.1f} req/s "
            f"p50 {fixed['p50_ms']:6.2f} ms p99 {fixed['p99_ms']:6.2f} ms "
            f"errors {fixed['errors']} | max: {peak['rps']:7.1f} req/s "
            f"p50 {peak['p50_ms']:6.2f} ms p99 {peak['p99_ms']:6.2f} ms errors {peak['errors']}"
        )
    print(f"ratio (max throughput, klaremont / bare): {ratio:.2f} (target >= {TARGET_RATIO})")
    print(f"ratio (server CPU per request, bare / klaremont): {cpu_ratio:.2f}")
    print(f"klaremont p99 at {args.rate:.0f}/s: {p99:.2f} ms (target < {TARGET_P99_MS} ms)")
    path = record(
        "customer_read",
        {
            "backend": backend,
            "cpus": os.cpu_count(),
            "rate": args.rate,
            "seconds": args.seconds,
            "workers": args.workers,
            "in_flight_limit": args.in_flight,
            "processes": args.processes,
            "load_average": os.getloadavg(),
            "klaremont": subject,
            "bare": bare,
            "ratio": round(ratio, 3),
            "cpu_ratio": round(cpu_ratio, 3),
            "targets": {"ratio": TARGET_RATIO, "p99_ms_at_rate": TARGET_P99_MS},
            "pass": {"ratio": ratio >= TARGET_RATIO, "p99": p99 < TARGET_P99_MS},
        },
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
