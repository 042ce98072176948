"""Helpers shared by the benchmarks: percentiles, free ports, result recording."""

from __future__ import annotations

import json
import platform
import socket
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    """Median, p99 and mean of a list of seconds, in milliseconds."""
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 3),
        "p99_ms": round(percentile(samples, 99) * 1000, 3),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3),
    }


def record(name: str, data: dict[str, Any]) -> Path:
    """Write a benchmark's results as JSON under bench/results/ and return the path."""
    RESULTS.mkdir(exist_ok=True)
    data = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} Python {platform.python_version()}",
        **data,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def wait_http(url: str, timeout: float = 30.0) -> float:
    """Poll ``url`` until it answers 200; return the seconds waited."""
    import urllib.request  # noqa: PLC0415 - only the boot benchmark polls

    started = time.perf_counter()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > timeout:
            msg = f"{url} did not answer within {timeout}s"
            raise TimeoutError(msg)
        time.sleep(0.02)
