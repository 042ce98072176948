"""Boot time to healthy, resident memory and installed size, each beside a baseline.

Targets (issue 2): boot to healthy <= 3 s, resident memory <= 150 MB, installed runtime
environment <= 150 MB. Baselines in the same run: a bare FastAPI app under the same
uvicorn for boot and memory; an empty virtual environment for size.
Run: .venv/bin/python bench/bench_boot.py [--skip-size]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import free_port, record, wait_http

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BARE_APP = """
import uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def boot(cmd: list[str], port: int, env: dict[str, str]) -> tuple[float, float, float]:
    """Start ``cmd``; return (seconds to healthy, RSS at healthy, RSS after 300 requests)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - our own commands
    try:
        wait_http(f"http://127.0.0.1:{port}/health", timeout=60)
        elapsed = time.perf_counter() - started
        rss_ready = rss_mb(proc.pid)
        for _ in range(300):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as r:  # noqa: S310 - loopback
                r.read()
        return elapsed, rss_ready, rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def klaremont_boot(var: Path, *, demo: bool) -> tuple[float, float, float]:
    """Boot the real platform on the embedded default in ``var``."""
    port = free_port()
    env = {**os.environ, "KLAREMONT_VAR_DIR": str(var), "KLAREMONT_PORT": str(port)}
    cmd = [str(Path(PY).parent / "klaremont"), "serve", "--demo" if demo else "--no-demo"]
    return boot(cmd, port, env)


def installed_size_mb() -> tuple[float, float]:
    """(runtime environment MB, empty venv MB), from a fresh venv built from the runtime lock."""
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        full = Path(tmp) / "full"
        for venv in (empty, full):
            subprocess.run([PY, "-m", "venv", "--without-pip", str(venv)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603 - pip from our own interpreter
            [PY, "-m", "pip", "-q", "--python", str(full / "bin" / "python"), "install",
             "--require-hashes", "-r", str(ROOT / "requirements" / "runtime.lock")],
            check=True,
        )
        subprocess.run(  # noqa: S603
            [PY, "-m", "pip", "-q", "--python", str(full / "bin" / "python"), "install",
             "--no-deps", str(ROOT)],
            check=True,
        )

        def du(path: Path) -> float:
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6

        return du(full), du(empty)


def main() -> None:
    """Run every measurement and print the ratios."""
    port = free_port()
    bare = boot([PY, "-c", BARE_APP.replace("{port}", str(port))], port, dict(os.environ))
    with tempfile.TemporaryDirectory() as tmp:
        cold = klaremont_boot(Path(tmp) / "var", demo=False)
        warm = klaremont_boot(Path(tmp) / "var", demo=False)
    with tempfile.TemporaryDirectory() as tmp:
        seeded = klaremont_boot(Path(tmp) / "var", demo=True)
    print(f"{'':28}{'boot s':>9}{'RSS ready MB':>14}{'RSS 300 req MB':>16}")
    for label, (secs, rss0, rss1) in (
        ("bare FastAPI (baseline)", bare),
        ("klaremont cold (first start)", cold),
        ("klaremont warm", warm),
        ("klaremont first start + demo", seeded),
    ):
        print(f"{label:28}{secs:9.2f}{rss0:14.1f}{rss1:16.1f}")
    print(f"warm boot ratio to baseline: {warm[0] / bare[0]:.2f}x; memory ratio {warm[2] / bare[2]:.2f}x")
    data = {
        "boot_s": {"bare": bare[0], "cold": cold[0], "warm": warm[0], "cold_with_demo": seeded[0]},
        "rss_mb": {"bare": bare[2], "cold": cold[2], "warm": warm[2], "with_demo": seeded[2]},
        "targets": {"boot_s": 3.0, "rss_mb": 150, "installed_mb": 150},
    }
    if "--skip-size" not in sys.argv:
        full, empty = installed_size_mb()
        print(f"installed runtime environment: {full:.1f} MB (empty venv {empty:.1f} MB, "
              f"dependencies {full - empty:.1f} MB)")
        data["installed_mb"] = {"runtime_env": full, "empty_venv": empty}
    print(f"results: {record('boot', data)}")


if __name__ == "__main__":
    main()
