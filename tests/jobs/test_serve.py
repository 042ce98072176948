"""``klaremont serve`` runs the job worker in-process, once per serve even with several web
processes; ``--no-worker`` leaves it out."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
from jobs_support import runs, runs_per_slot, wait_until, worker_env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    klaremont = Path(sys.executable).parent / "klaremont"
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [str(klaremont), "serve", "--no-demo", *args], env=env, stdout=out, stderr=out
        )


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_serve_with_two_web_processes_runs_the_scheduler_once(platform, settings, tmp_path):
    port = _free_port()
    env = worker_env(settings, "dsr-due-alert=PT1S")
    log = tmp_path / "serve.log"
    process = _serve(env, log, "--workers", "2", "--port", str(port))
    try:
        assert wait_until(lambda: _healthy(port), 120), log.read_text(errors="replace")
        assert wait_until(lambda: len(runs_per_slot(platform, "dsr-due-alert")) >= 4, 120)
    finally:
        code = _stop(process)
    assert code == 0, log.read_text(errors="replace")[-3000:]
    every_run = runs(platform)
    assert {row.worker.rsplit(":", 1)[1] for row in every_run} == {str(process.pid)}
    for job in {row.job for row in every_run}:
        assert set(runs_per_slot(platform, job).values()) == {1}, job


def test_serve_without_the_worker_runs_no_job(platform, settings, tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    process = _serve(worker_env(settings, ""), log, "--no-worker", "--port", str(port))
    try:
        assert wait_until(lambda: _healthy(port), 120), log.read_text(errors="replace")
    finally:
        _stop(process)
    assert runs(platform) == []
