"""Boot time to healthy, resident memory and installed size, each beside a baseline.

Targets (issue 2): boot to healthy <= 3 s, resident memory <= 150 MB, installed runtime
environment <= 150 MB. Baselines in the same run: a bare FastAPI app under the same
uvicorn for boot and memory; a venv holding only FastAPI + uvicorn
(the lock's versions) for size.

Boot is timed from process start to the first 200 from ``/health``; the server's CPU
seconds until then and its RSS are read from ``/proc`` (RSS again after 300 requests).
Each case runs ``--reps`` times (default 3; cold cases on a fresh var directory each
time) and the median is reported.
The installed size is the apparent size of the files (symlinks not followed) of a fresh
venv built from ``requirements/runtime.lock`` plus the project (pip compiles bytecode, so
``.pyc`` files count, as they would when deployed).

Run: .venv/bin/python bench/bench_boot.py [--skip-size] [--reps N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import free_port, record

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
TARGETS = {"boot_s": 3.0, "rss_mb": 150.0, "installed_mb": 150.0}
BOOT_TIMEOUT_S = 60.0


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any KLAREMONT_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAREMONT_")}
    return {**env, **extra}


def wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> float:
    """Seconds until ``url`` answers 200; fails at once (with the log tail) if ``proc`` exits."""
    started = time.perf_counter()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        if proc.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            msg = f"server exited with status {proc.returncode} before {url} answered:\n{tail}"
            raise RuntimeError(msg)
        if time.perf_counter() - started > BOOT_TIMEOUT_S:
            msg = f"{url} did not answer within {BOOT_TIMEOUT_S}s"
            raise TimeoutError(msg)
        time.sleep(0.01)


def boot(cmd: list[str], port: int, env: dict[str, str]) -> tuple[float, float, float, float]:
    """Start ``cmd``; return (s to healthy, RSS at healthy, RSS after 300 requests, CPU s).

    The CPU seconds are the server's own until healthy: on a busy machine, the steadier figure.
    """
    with tempfile.NamedTemporaryFile(prefix="bench-boot-", suffix=".log") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - our own commands
        try:
            wait_healthy(proc, f"http://127.0.0.1:{port}/health", Path(log.name))
            elapsed = time.perf_counter() - started
            rss_ready, cpu = rss_mb(proc.pid), cpu_s(proc.pid)
            for _ in range(300):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as r:
                    r.read()
            return elapsed, rss_ready, rss_mb(proc.pid), cpu
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


Boot = tuple[float, float, float, float]


def bare_boot() -> Boot:
    """The baseline: a one-route FastAPI app under the same uvicorn."""
    port = free_port()
    return boot([PY, "-c", BARE_APP.replace("{port}", str(port))], port, clean_env())


def klaremont_boot(var: Path, *, demo: bool) -> Boot:
    """Boot the real platform on the embedded default in ``var``."""
    port = free_port()
    env = clean_env(KLAREMONT_VAR_DIR=str(var), KLAREMONT_PORT=str(port))
    cmd = [str(Path(PY).parent / "klaremont"), "serve", "--demo" if demo else "--no-demo"]
    return boot(cmd, port, env)


def tree_mb(path: Path) -> float:
    """Apparent size of the regular files under ``path`` in MB (symlinks not followed)."""
    total = 0
    for file in path.rglob("*"):
        if not file.is_symlink() and file.is_file():
            total += file.lstat().st_size
    return total / 1e6


def _run_quiet(cmd: list[str]) -> None:
    """Run ``cmd``; show its output only if it fails (pip warns about every mirror path)."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - our own commands
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
        raise subprocess.CalledProcessError(done.returncode, cmd)


def installed_size_mb() -> dict[str, float]:
    """MB of three fresh venvs: the runtime lock + the project; FastAPI + uvicorn alone, at
    the lock's versions (the baseline, the same app as the boot baseline); and an empty one.
    """
    lock = ROOT / "requirements" / "runtime.lock"
    sizes: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pins = Path(tmp) / "pins.txt"  # the lock's versions without hashes, as constraints
        pins.write_text(
            "\n".join(
                line.split()[0]
                for line in lock.read_text().splitlines()
                if "==" in line and not line.lstrip().startswith("#")
            )
        )
        for name in ("runtime_env", "fastapi_uvicorn", "empty_venv"):
            venv = Path(tmp) / name
            _run_quiet([PY, "-m", "venv", "--without-pip", str(venv)])
            pip = [PY, "-m", "pip", "-q", "--python", str(venv / "bin" / "python"), "install"]
            if name == "runtime_env":
                _run_quiet([*pip, "--require-hashes", "-r", str(lock)])
                _run_quiet([*pip, "--no-deps", str(ROOT)])
            elif name == "fastapi_uvicorn":
                _run_quiet([*pip, "-c", str(pins), "fastapi", "uvicorn"])
            sizes[name] = tree_mb(venv)
    return sizes


def medians(samples: list[Boot]) -> Boot:
    """Median of each of the four figures."""
    return (
        statistics.median(s[0] for s in samples),
        statistics.median(s[1] for s in samples),
        statistics.median(s[2] for s in samples),
        statistics.median(s[3] for s in samples),
    )


def main() -> None:
    """Run every measurement and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-size", action="store_true", help="skip building a fresh venv")
    parser.add_argument("--reps", type=int, default=3, help="boots per case (median reported)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    bare_s: list[Boot] = []
    cold_s: list[Boot] = []
    warm_s: list[Boot] = []
    seeded_s: list[Boot] = []
    for _ in range(args.reps):
        bare_s.append(bare_boot())
        with tempfile.TemporaryDirectory() as tmp:
            cold_s.append(klaremont_boot(Path(tmp) / "var", demo=False))
            warm_s.append(klaremont_boot(Path(tmp) / "var", demo=False))
        with tempfile.TemporaryDirectory() as tmp:
            seeded_s.append(klaremont_boot(Path(tmp) / "var", demo=True))
    bare, cold, warm, seeded = (medians(s) for s in (bare_s, cold_s, warm_s, seeded_s))
    print(
        f"median of {args.reps} boots each "
        f"(load average {load_before:.1f} on {os.cpu_count()} CPUs)"
    )
    print(f"{'':30}{'boot s':>9}{'CPU s':>8}{'RSS ready MB':>14}{'RSS 300 req MB':>16}")
    for label, (secs, rss0, rss1, cpu) in (
        ("bare FastAPI (baseline)", bare),
        ("klaremont cold (first start)", cold),
        ("klaremont warm", warm),
        ("klaremont first start + demo", seeded),
    ):
        print(f"{label:30}{secs:9.2f}{cpu:8.2f}{rss0:14.1f}{rss1:16.1f}")
    print(
        f"warm boot ratio to baseline: {warm[0] / bare[0]:.2f}x; "
        f"memory ratio {warm[2] / bare[2]:.2f}x"
    )
    worst_boot = max(cold[0], warm[0], seeded[0])
    worst_rss = max(cold[2], warm[2], seeded[2])
    data = {
        "reps": args.reps,
        "boot_s": {"bare": bare[0], "cold": cold[0], "warm": warm[0], "cold_with_demo": seeded[0]},
        "boot_cpu_s": {
            "bare": bare[3],
            "cold": cold[3],
            "warm": warm[3],
            "cold_with_demo": seeded[3],
        },
        "boot_s_samples": {
            "bare": [s[0] for s in bare_s],
            "cold": [s[0] for s in cold_s],
            "warm": [s[0] for s in warm_s],
            "cold_with_demo": [s[0] for s in seeded_s],
        },
        "rss_mb_ready": {"bare": bare[1], "cold": cold[1], "warm": warm[1], "with_demo": seeded[1]},
        "rss_mb": {"bare": bare[2], "cold": cold[2], "warm": warm[2], "with_demo": seeded[2]},
        "targets": TARGETS,
        "pass": {
            "boot_s": worst_boot <= TARGETS["boot_s"],
            "rss_mb": worst_rss <= TARGETS["rss_mb"],
        },
        "loadavg_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "cpus": os.cpu_count(),
    }
    print(
        f"target boot <= {TARGETS['boot_s']} s (slowest case {worst_boot:.2f} s): "
        f"{'PASS' if data['pass']['boot_s'] else 'FAIL'}; "
        f"RSS <= {TARGETS['rss_mb']:.0f} MB (largest {worst_rss:.1f} MB): "
        f"{'PASS' if data['pass']['rss_mb'] else 'FAIL'}"
    )
    if not args.skip_size:
        sizes = installed_size_mb()
        full, base = sizes["runtime_env"], sizes["fastapi_uvicorn"]
        data["installed_mb"] = sizes
        data["pass"]["installed_mb"] = full <= TARGETS["installed_mb"]
        print(
            f"installed runtime environment: {full:.1f} MB; baseline FastAPI + uvicorn "
            f"{base:.1f} MB (ratio {full / base:.2f}x); empty venv {sizes['empty_venv']:.2f} MB: "
            f"{'PASS' if data['pass']['installed_mb'] else 'FAIL'} "
            f"(<= {TARGETS['installed_mb']:.0f} MB)"
        )
    print(f"results: {record('boot', data)}")


if __name__ == "__main__":
    main()
