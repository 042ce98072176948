"""Guest PAP logins: our RADIUS server against FreeRADIUS 3.2, same run, same loopback.

Subject: ``klaremont radius serve``'s server (one process, its own thread reading the
socket) on the embedded SQLite default, answering Access-Requests for guest codes: the
Message-Authenticator check, the opening window, the code's keyed digest, the device
slot, the Session-Timeout and the login record (a committed row per request).

Baseline, same run: FreeRADIUS 3.2 (the Debian package, ``/usr/sbin/freeradius -f``) with
its own temporary configuration: the same codes in its ``sql`` module on SQLite
(``radcheck``: ``Cleartext-Password`` and ``Login-Time``), the ``logintime``, ``expiration``
and ``pap`` modules, ``require_message_authenticator`` on the client. FreeRADIUS reads
``Login-Time`` against the wall clock: the policy's ``Wk0800-1830`` is used when the
benchmark runs inside that window, ``Al0000-2359`` otherwise (the same module does the
same work; our server runs on a clock fixed at a Wednesday morning). FreeRADIUS keeps no
record of an Access-Request in this configuration; ours commits one per request.

Both are measured with the same Python load generator: throughput with a window of
requests in flight (closed loop), then latency at a fixed 500 requests/s (open loop,
every request sent on its schedule whatever the answers).

Run: .venv/bin/python bench/bench_radius.py [--codes N] [--requests N] [--seconds S]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import selectors
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyrad import packet as rp
from rich.console import Console
from rich.progress import Progress

from _common import record, summary
from klaremont.clock import ManualClock
from klaremont.config import Environment, Settings
from klaremont.platform import Platform
from klaremont.wifi import service_ap, service_guest
from klaremont.wifi.radius import dictionary
from klaremont.wifi.server import RadiusServer
from klaremont.wifi.settings import WifiSettings

FREERADIUS = Path("/usr/sbin/freeradius")
FREERADIUS_ETC = Path("/etc/freeradius/3.0")
SECRET = "bench-shared-secret-0123456789"  # noqa: S105 - a benchmark's own shared secret
AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday morning: inside the window
WINDOW = 32
RATE = 500
LOST_AFTER = 2.0
console = Console()


@dataclass
class Load:
    """What one measurement saw."""

    sent: int
    answered: int
    accepted: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        """Answers per second."""
        return self.answered / self.seconds if self.seconds else 0.0


def _mac(n: int) -> str:
    return "02-00-" + "-".join(f"{(n >> s) & 0xFF:02X}" for s in (24, 16, 8, 0))


def _packets(codes: list[str], count: int, *, first_id: int = 0) -> list[bytes]:
    made = []
    for k in range(count):
        n = k % len(codes)
        request = rp.AuthPacket(id=(first_id + k) % 256, secret=SECRET.encode(), dict=dictionary())
        request["User-Name"] = codes[n]
        request["User-Password"] = request.PwCrypt(codes[n])
        request["Calling-Station-Id"] = _mac(n)
        request.add_message_authenticator()
        made.append(bytes(request.RequestPacket()))
    return made


class _Flight:
    """Requests in flight on one socket: when each was sent, and what came back."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(0.0)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ)
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.accepted = 0

    def send(self, packet: bytes) -> float:
        now = time.perf_counter()
        self.sent_at[packet[1]] = now
        self.sock.send(packet)
        return now

    def receive(self, wait: float) -> None:
        for _key, _ in self.selector.select(timeout=wait):
            while True:
                try:
                    reply = self.sock.recv(4096)
                except BlockingIOError:
                    break
                began = self.sent_at.pop(reply[1], None)
                if began is not None:
                    self.latencies.append(time.perf_counter() - began)
                    self.accepted += reply[0] == rp.AccessAccept

    def close(self) -> None:
        self.selector.close()
        self.sock.close()


def _exchange(port: int, packets: list[bytes], *, rate: float | None) -> Load:
    """Send ``packets``: WINDOW in flight at a time (rate None), or on a fixed schedule
    whatever the answers (rate per second). A request unanswered for 2 s is lost."""
    flight = _Flight(port)
    start = last = time.perf_counter()
    for k, packet in enumerate(packets):
        if rate:
            due = start + k / rate
            while (now := time.perf_counter()) < due:
                flight.receive(min(due - now, 0.05))
        else:
            while len(flight.sent_at) >= WINDOW:
                flight.receive(0.05)
                if time.perf_counter() - last > LOST_AFTER:
                    flight.sent_at.clear()
        last = flight.send(packet)
    while flight.sent_at and time.perf_counter() - last < LOST_AFTER:
        flight.receive(0.05)
    seconds = (last - start) if rate else (time.perf_counter() - start)
    flight.close()
    answered = len(flight.latencies)
    return Load(len(packets), answered, flight.accepted, seconds or 1e-9, flight.latencies)


# ---------------------------------------------------------------- our server
def _ours(var_dir: str, codes_out: Any, port_out: Any, stop: Any, count: int) -> None:
    settings = Settings(environment=Environment.TEST, var_dir=Path(var_dir))
    platform = Platform.build(settings, clock=ManualClock(AT))
    platform.upgrade()
    with platform.unit_of_work() as uow:
        service_ap.add(uow, name="bench", network="127.0.0.0/8", secret=SECRET, by="bench")
        issued = service_guest.issue(uow, count=min(count, 200), by="bench")
        codes = [c.code for c in issued]
        while len(codes) < count:
            codes += [c.code for c in service_guest.issue(uow, count=200, by="bench")]
    codes_out.put(codes[:count])
    server = RadiusServer(platform, WifiSettings())
    auth, _ = server.bind("127.0.0.1", 0)
    server.reload_clients()
    port_out.put(auth)
    server.serve(stop)
    server.close()
    platform.dispose()


# ---------------------------------------------------------------- FreeRADIUS
def _in_window(now: datetime) -> bool:
    local = now.astimezone()
    return local.weekday() < 5 and (8, 0) <= (local.hour, local.minute) < (18, 30)


def _freeradius_config(
    root: Path, port: int, codes: list[str], login_time: str, *, records: bool = True
) -> None:
    for sub in ("log", "run", "acct"):
        (root / sub).mkdir()
    db = root / "radius.db"
    with sqlite3.connect(db) as conn:
        conn.executescript((FREERADIUS_ETC / "mods-config/sql/main/sqlite/schema.sql").read_text())
        conn.executemany(
            "INSERT INTO radcheck (username, attribute, op, value) VALUES (?, ?, ?, ?)",
            [
                row
                for code in codes
                for row in (
                    (code, "Cleartext-Password", ":=", code),
                    (code, "Login-Time", ":=", login_time),
                    (code, "Expiration", ":=", "31 Dec 2037 23:59:59"),
                )
            ],
        )
    (root / "dictionary").write_text("")
    # The policy records every accepted and refused login (ours does, in batches): the
    # baseline records them too, in its sql module's radpostauth table, unless told not to.
    post_auth = "    sql\n    Post-Auth-Type REJECT {\n      sql\n    }" if records else ""
    (root / "radiusd.conf").write_text(
        f"""
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = {root}/log
raddbdir = {root}
radacctdir = {root}/acct
name = freeradius
confdir = {root}
modconfdir = {FREERADIUS_ETC}/mods-config
run_dir = {root}/run
db_dir = {root}
libdir = /usr/lib/freeradius
pidfile = {root}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {{
  destination = files
  file = {root}/log/radius.log
  auth = no
}}
security {{
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}}
thread pool {{
  start_servers = 5
  max_servers = 32
  min_spare_servers = 3
  max_spare_servers = 10
  max_requests_per_server = 0
}}
client bench {{
  ipaddr = 127.0.0.1
  secret = {SECRET}
  require_message_authenticator = yes
}}
modules {{
  expr {{
  }}
  pap {{
  }}
  logintime {{
    minimum_timeout = 60
  }}
  expiration {{
  }}
  sql {{
    driver = "rlm_sql_sqlite"
    dialect = "sqlite"
    sqlite {{
      filename = "{db}"
    }}
    radius_db = "radius"
    acct_table1 = "radacct"
    acct_table2 = "radacct"
    postauth_table = "radpostauth"
    authcheck_table = "radcheck"
    groupcheck_table = "radgroupcheck"
    authreply_table = "radreply"
    groupreply_table = "radgroupreply"
    usergroup_table = "radusergroup"
    read_groups = no
    read_clients = no
    delete_stale_sessions = yes
    client_table = "nas"
    group_attribute = "SQL-Group"
    pool {{
      start = 4
      min = 4
      max = 32
      spare = 4
      uses = 0
      retry_delay = 1
      lifetime = 0
      idle_timeout = 60
    }}
    $INCLUDE ${{modconfdir}}/sql/main/${{dialect}}/queries.conf
  }}
}}
server default {{
  listen {{
    type = auth
    ipaddr = 127.0.0.1
    port = {port}
  }}
  authorize {{
    sql
    expiration
    logintime
    pap
  }}
  authenticate {{
    Auth-Type PAP {{
      pap
    }}
  }}
  post-auth {{
{post_auth}
  }}
}}
"""
    )


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_answer(port: int, packet: bytes, timeout: float = 20.0) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            sock.sendto(packet, ("127.0.0.1", port))
            try:
                sock.recv(4096)
            except TimeoutError:
                continue
            return
    msg = f"no answer on port {port}"
    raise RuntimeError(msg)


def _measure(
    results: dict[str, Any], codes: list[str], our_port: int, fr_port: int, args: Any
) -> None:
    """Warm both servers (each code bound to its device), then measure them in turn."""
    warm = _packets(codes, len(codes))
    _wait_answer(our_port, warm[0])
    _wait_answer(fr_port, warm[0])
    _exchange(our_port, warm, rate=None)
    _exchange(fr_port, warm, rate=None)
    plan = [
        ("freeradius", fr_port, None),
        ("klaremont", our_port, None),
        ("freeradius", fr_port, RATE),
        ("klaremont", our_port, RATE),
    ]
    with Progress(console=console) as progress:
        task = progress.add_task("measuring", total=len(plan))
        for name, port, rate in plan:
            count = args.requests if rate is None else int(RATE * args.seconds)
            load = _exchange(port, _packets(codes, count, first_id=7), rate=rate)
            key = f"{name}_{'throughput' if rate is None else '500rps'}"
            results[key] = {
                "sent": load.sent,
                "answered": load.answered,
                "accepted": load.accepted,
                "per_second": round(load.rate, 1),
                **summary(load.latencies or [0.0]),
            }
            progress.advance(task)


def main() -> None:
    """Measure both servers and print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=200)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--freeradius-without-records",
        action="store_true",
        help="the baseline does not record logins (less work than the policy asks of ours)",
    )
    args = parser.parse_args()
    if not FREERADIUS.exists():
        console.print(f"{FREERADIUS} is missing (apt-get install freeradius)")
        raise SystemExit(1)
    context = multiprocessing.get_context("spawn")
    codes_q, port_q, stop = context.Queue(), context.Queue(), context.Event()
    work = Path(tempfile.mkdtemp(prefix="bench-radius-"))
    ours = context.Process(
        target=_ours, args=(str(work / "ours"), codes_q, port_q, stop, args.codes)
    )
    ours.start()
    codes: list[str] = codes_q.get(timeout=300)
    our_port: int = port_q.get(timeout=300)
    login_time = "Wk0800-1830" if _in_window(datetime.now(UTC)) else "Al0000-2359"
    fr_root = work / "freeradius"
    fr_root.mkdir()
    fr_port = _free_udp_port()
    records = not args.freeradius_without_records
    _freeradius_config(fr_root, fr_port, codes, login_time, records=records)
    freeradius = subprocess.Popen(  # noqa: S603 - the Debian binary with our own config
        [str(FREERADIUS), "-f", "-d", str(fr_root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, Any] = {
        "login_time": login_time,
        "codes": len(codes),
        "freeradius_records_logins": records,
    }
    try:
        _measure(results, codes, our_port, fr_port, args)
    finally:
        stop.set()
        ours.join(timeout=30)
        freeradius.terminate()
        freeradius.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    ours_rate = results["klaremont_throughput"]["per_second"]
    fr_rate = results["freeradius_throughput"]["per_second"]
    results["ratio"] = round(ours_rate / fr_rate, 3) if fr_rate else None
    for name in ("freeradius", "klaremont"):
        t, r = results[f"{name}_throughput"], results[f"{name}_500rps"]
        console.print(
            f"{name:11} throughput {t['per_second']:8.1f}/s ({t['accepted']}/{t['sent']} accepted)"
            f" | at 500/s: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms,"
            f" answered {r['answered']}/{r['sent']}"
        )
    console.print(f"ratio (klaremont / freeradius throughput): {results['ratio']}")
    console.print(f"written to {record('radius', results)}")


if __name__ == "__main__":
    os.environ.setdefault("KLAREMONT_LOG_JSON", "true")
    main()
