"""The embedded default under contention: no freeze, no 5xx, p99 under a second.

Two loads against a real ``klaremont serve`` on SQLite (a child process, uvicorn, the
file databases of a fresh var directory), with real HTTP clients in threads:

1. **the two-request scenario**, ``--rounds`` times: a staff write (``POST /api/staff``,
   which hashes a one-time password) and a privacy-centre sign-in (an Argon2 check)
   released together, and ``/health`` a moment later. Before the fix, the sign-in ran
   its database work on the event loop and waited there for the write lock the staff
   request held: 500 after the 30 s busy timeout, ``/health`` queued for as long;
2. **a mixed load** of ``--clients`` concurrent clients for ``--seconds``: staff writes,
   customer sign-ins, customer reads (API token, purpose-checked, audited) and health.

The baseline, in the same run and under the same mixed load shape: a bare FastAPI app
on the same engine settings whose "write" is one row inserted in a ``BEGIN IMMEDIATE``
transaction, whose "sign-in" is the same Argon2 verification done outside any
transaction, whose "read" is one SELECT and whose health is a constant. It shows what
the machine gives with no authentication, sealing or audit.

Prints 5xx counts and p50/p99 per kind; writes ``bench/results/sqlite_contention.json``.

    .venv/bin/python bench/bench_sqlite_contention.py --rounds 10 --clients 20 --seconds 20
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from typing import Any

import httpx2 as httpx

from _common import free_port, record, summary, wait_http

PASSWORD = "violet-harbour-quietly-9-ferns"  # noqa: S105 - a bench account's password
CUSTOMER_PASSWORD = "plum-orchard-whistle-58"  # noqa: S105 - a bench customer's password
CUSTOMERS = 50
_CSRF = 'name="csrf_token" value="'
# the mixed load: how many of every ten requests are of each kind
MIX = (
    "staff_write",
    "sign_in",
    "sign_in",
    "read",
    "read",
    "read",
    "read",
    "read",
    "health",
    "health",
)


# ---------------------------------------------------------------- servers (child processes)
def _env(var_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "KLAREMONT_ENVIRONMENT": "development",
        "KLAREMONT_VAR_DIR": var_dir,
        "KLAREMONT_DATABASE_URL": f"sqlite:///{var_dir}/klaremont.db",
        "KLAREMONT_KEYSTORE_URL": f"sqlite:///{var_dir}/keystore.db",
    }


def prepare(var_dir: str) -> tuple[list[str], list[str]]:
    """Migrate; an ISO, a support agent with an API token, customers with passwords.

    Returns the customers' references and e-mail addresses.
    """
    from klaremont.audit.events import Actor, ActorType  # noqa: PLC0415
    from klaremont.config import Settings  # noqa: PLC0415
    from klaremont.customers import service  # noqa: PLC0415
    from klaremont.customers.models import CollectionChannel  # noqa: PLC0415
    from klaremont.customers.schemas import CustomerCreate  # noqa: PLC0415
    from klaremont.platform import Platform  # noqa: PLC0415
    from klaremont.staff import service_accounts, service_mfa  # noqa: PLC0415
    from klaremont.staff.lookup import find_account  # noqa: PLC0415
    from klaremont.staff.permissions import Role  # noqa: PLC0415

    env = _env(var_dir)
    settings = Settings(
        environment="development",
        var_dir=Path(var_dir),
        database_url=env["KLAREMONT_DATABASE_URL"],
        keystore_url=env["KLAREMONT_KEYSTORE_URL"],
    )
    platform = Platform.build(settings)
    platform.upgrade()
    refs, emails = [], []
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "bench")) as uow:
        for username, role in (("bench-iso", Role.ISO), ("bench-agent", Role.SUPPORT_AGENT)):
            service_accounts.create_account(
                uow,
                service_accounts.NewAccount(
                    username=username,
                    full_name=username.replace("-", " ").title(),
                    work_email=f"{username}@klaremont.example",
                    job_role=role,
                    password=PASSWORD,
                    vetted_on=uow.clock.now().date(),
                ),
                created_by="bench",
            )
            # privileged and card-reading roles sign in with a second factor (PCI DSS 8.4.1)
            account = find_account(uow, username)
            assert account is not None  # noqa: S101 - just created
            service_mfa.enrol_known_key(uow, account, BENCH_TOTP_KEY)
        for i in range(CUSTOMERS):
            email = f"bench{i}@example.com"
            created = service.create_customer(
                uow,
                CustomerCreate(
                    name=f"Bench Customer {i}",
                    email=email,
                    channel=CollectionChannel.WEBSITE_PURCHASE,
                    password=CUSTOMER_PASSWORD,
                ),
            )
            refs.append(created.reference)
            emails.append(email)
    platform.dispose()
    return refs, emails


def start_klaremont(var_dir: str, port: int) -> subprocess.Popen[bytes]:
    """``klaremont serve`` (no demo data) on ``port``."""
    command = [sys.executable, "-c", "from klaremont.cli.main import main; main()"]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [*command, "serve", "--no-demo", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(var_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_bare(var_dir: str, port: int) -> subprocess.Popen[bytes]:
    """The baseline app (see the module docstring) in a child process."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and this file
        [sys.executable, __file__, "--serve-bare", var_dir, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def serve_bare(var_dir: str, port: int) -> None:
    """A bare FastAPI app on the Klaremont engine settings: one-row writes and reads."""
    import uvicorn  # noqa: PLC0415
    from fastapi import FastAPI  # noqa: PLC0415
    from sqlalchemy import text  # noqa: PLC0415

    from klaremont.db.engine import make_engine  # noqa: PLC0415
    from klaremont.staff.hashing import PasswordHashing  # noqa: PLC0415

    engine = make_engine(f"sqlite:///{var_dir}/bare.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)"))
    hashing = PasswordHashing(time_cost=2, memory_kib=19456, parallelism=1)
    stored = hashing.hash(CUSTOMER_PASSWORD)
    app = FastAPI()

    @app.post("/write")
    def write() -> dict[str, str]:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO notes (body) VALUES ('x')"))
        return {"status": "ok"}

    @app.post("/sign-in")
    def sign_in() -> dict[str, bool]:
        return {"ok": hashing.verify(stored, CUSTOMER_PASSWORD)}

    @app.get("/read")
    def read() -> dict[str, int]:
        with engine.begin() as conn:
            return {"n": int(conn.execute(text("SELECT count(*) FROM notes")).scalar_one())}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---------------------------------------------------------------- clients
BENCH_TOTP_KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # a benchmark's own key, protects nothing


def _code() -> str:
    """The benchmark accounts' current authenticator code."""
    import pyotp  # noqa: PLC0415 - child of the benchmark only

    return str(pyotp.TOTP(BENCH_TOTP_KEY).now())


class Klaremont:
    """Requests against the real app, each kind on its own connection per thread."""

    def __init__(self, base: str, refs: list[str], emails: list[str]) -> None:
        self.base = base
        self.refs, self.emails = refs, emails
        self.numbers = count()
        login = httpx.post(
            f"{base}/api/auth/login",
            json={"username": "bench-iso", "password": PASSWORD, "code": _code()},
        )
        login.raise_for_status()
        self.staff_headers = {
            "X-CSRF-Token": login.json()["csrf_token"],
            # the session cookie is Secure: sent by hand over plain-HTTP loopback
            "Cookie": f"klaremont_staff={login.cookies['klaremont_staff']}",
        }
        token = httpx.post(
            f"{base}/api/auth/tokens",
            json={
                "username": "bench-agent",
                "password": PASSWORD,
                "code": _code(),
                "name": "bench",
                "scopes": ["read"],
            },
        )
        token.raise_for_status()
        self.read_headers = {"Authorization": f"Bearer {token.json()['token']}"}

    def staff_write(self, client: httpx.Client) -> int:
        n = next(self.numbers)
        return client.post(
            f"{self.base}/api/staff",
            headers=self.staff_headers,
            json={
                "username": f"hire{n}-{os.getpid()}",
                "full_name": f"New Hire {n}",
                "work_email": f"hire{n}-{os.getpid()}@klaremont.example",
                "job_role": "support_agent",
                "vetted_on": "2025-01-06",
            },
        ).status_code

    def sign_in(self, _client: httpx.Client) -> int:
        # a new browser each time: a fresh form token, no session cookie
        n = next(self.numbers)
        with httpx.Client(base_url=self.base, timeout=60) as browser:
            page = browser.get("/privacy/sign-in").text
            token = page.split(_CSRF, 1)[1].split('"', 1)[0]
            return browser.post(
                "/privacy/sign-in",
                data={
                    "email": self.emails[n % len(self.emails)],
                    "password": CUSTOMER_PASSWORD,
                    "csrf_token": token,
                },
            ).status_code

    def read(self, client: httpx.Client) -> int:
        ref = self.refs[next(self.numbers) % len(self.refs)]
        return client.get(
            f"{self.base}/api/customers/{ref}",
            params={"purpose": "support"},
            headers=self.read_headers,
        ).status_code

    def health(self, client: httpx.Client) -> int:
        return client.get(f"{self.base}/health").status_code


class Bare:
    """The same kinds of request against the baseline app."""

    def __init__(self, base: str) -> None:
        self.base = base

    def staff_write(self, client: httpx.Client) -> int:
        return client.post(f"{self.base}/write").status_code

    def sign_in(self, client: httpx.Client) -> int:
        return client.post(f"{self.base}/sign-in").status_code

    def read(self, client: httpx.Client) -> int:
        return client.get(f"{self.base}/read").status_code

    def health(self, client: httpx.Client) -> int:
        return client.get(f"{self.base}/health").status_code


Samples = dict[str, list[tuple[float, int]]]


def timed(target: Any, kind: str, client: httpx.Client) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        status = getattr(target, kind)(client)
    except httpx.TimeoutException:
        status = 599
    return time.perf_counter() - started, status


def two_requests(target: Klaremont, rounds: int) -> Samples:
    """The issue's scenario: a staff write and a sign-in together, health just after."""
    samples: Samples = defaultdict(list)
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(3) as pool:
        for _ in range(rounds):
            gate = threading.Barrier(2)

            def together(kind: str, gate: threading.Barrier = gate) -> tuple[float, int]:
                gate.wait()
                with httpx.Client(timeout=60) as own:
                    return timed(target, kind, own)

            write = pool.submit(together, "staff_write")
            sign_in = pool.submit(together, "sign_in")
            time.sleep(0.05)
            samples["health"].append(timed(target, "health", client))
            samples["staff_write"].append(write.result())
            samples["sign_in"].append(sign_in.result())
    return samples


def mixed(target: Any, clients: int, seconds: float) -> Samples:
    """``clients`` threads, each looping over :data:`MIX` for ``seconds``."""
    samples: Samples = defaultdict(list)
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client_loop(offset: int) -> None:
        with httpx.Client(timeout=60) as client:
            i = offset
            while time.perf_counter() < stop:
                kind = MIX[i % len(MIX)]
                result = timed(target, kind, client)
                with lock:
                    samples[kind].append(result)
                i += 1

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def report(label: str, samples: Samples) -> dict[str, Any]:
    out: dict[str, Any] = {}
    every: list[float] = []
    errors = 0
    for kind, rows in sorted(samples.items()):
        times = [t for t, _ in rows]
        statuses: dict[str, int] = defaultdict(int)
        for _, status in rows:
            statuses[str(status)] += 1
        five = sum(n for s, n in statuses.items() if s.startswith("5"))
        errors += five
        every.extend(times)
        out[kind] = {
            "requests": len(rows),
            "5xx": five,
            "statuses": dict(statuses),
            **summary(times),
        }
    out["all"] = {"requests": len(every), "5xx": errors, **summary(every)}
    print(f"{label}:")
    for kind, row in out.items():
        print(
            f"  {kind:12} n={row['requests']:5}  5xx={row['5xx']:3}  "
            f"p50={row['p50_ms']:8.1f} ms  p99={row['p99_ms']:8.1f} ms"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--serve-bare", metavar="VAR_DIR")
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.port)
        return
    results: dict[str, Any] = {
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "rounds": args.rounds,
        "clients": args.clients,
        "seconds": args.seconds,
    }
    with tempfile.TemporaryDirectory(prefix="klaremont-bench-") as var_dir:
        refs, emails = prepare(var_dir)
        port = free_port()
        server = start_klaremont(var_dir, port)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/health", timeout=120)
            target = Klaremont(base, refs, emails)
            results["two_requests"] = report(
                "two requests (klaremont)", two_requests(target, args.rounds)
            )
            results["mixed"] = report(
                "mixed load (klaremont)", mixed(target, args.clients, args.seconds)
            )
        finally:
            server.terminate()
            server.wait()
        port = free_port()
        bare = start_bare(var_dir, port)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/health", timeout=60)
            results["baseline_mixed"] = report(
                "mixed load (bare FastAPI + SQLite write, baseline)",
                mixed(Bare(base), args.clients, args.seconds),
            )
        finally:
            bare.terminate()
            bare.wait()
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"results: {record('sqlite_contention', results)}")


if __name__ == "__main__":
    main()
