"""``klaremont serve``, ``klaremont worker``, ``klaremont db …`` and ``klaremont demo …``.

``serve`` runs the job worker in the same process by default (the embedded SQLite shape:
one command, nothing else to install); with ``--workers N`` the web app runs in N uvicorn
processes and the scheduler still runs once, in the parent. ``worker`` is the scheduler on
its own, for PostgreSQL deployments that run it as separate processes (one or several:
the database lease runs each slot once).
"""

from __future__ import annotations

import ctypes
import gc
import signal
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from klaremont.cli.context import console, err_console, get_platform
from klaremont.db import migrate
from klaremont.demo import service as demo
from klaremont.errors import ConfigurationError
from klaremont.jobs.worker import Worker

if TYPE_CHECKING:
    from fastapi import FastAPI

    from klaremont.platform import Platform

db_app = typer.Typer(name="db", help="Database migrations.", no_args_is_help=True)
demo_app = typer.Typer(name="demo", help="Demo data.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the data store and the keystore."""
    platform = get_platform(upgrade=False)
    platform.upgrade()
    console.print("[green]data store and keystore are at the latest migration[/]")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree (drift)."""
    platform = get_platform()
    problems = [
        *migrate.drift(platform.engine, migrate.DATA),
        *migrate.drift(platform.keystore_engine, migrate.KEYSTORE),
    ]
    if problems:
        for problem in problems:
            console.print(f"[red]drift:[/] {problem}")
        raise typer.Exit(1)
    console.print("[green]models and migrations agree[/]")


def _seed_with_progress(size: demo.DemoSize) -> demo.SeedReport:
    platform = get_platform()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("seeding demo data", total=None)
        return demo.seed(
            platform, size, progress=lambda name: bar.update(task, description=f"seeding {name}")
        )


@demo_app.command("seed")
def demo_seed(
    customers: int = typer.Option(300, min=1, max=200_000, help="how many demo customers"),
    seed: int = typer.Option(
        20261124, min=0, max=2**32 - 1, help="random seed (same seed, same data)"
    ),
) -> None:
    """Seed deterministic demo data (once per database)."""
    report = _seed_with_progress(demo.DemoSize(customers=customers, seed=seed))
    for line in report.lines:
        console.print(f"  {line}")


def serve(
    host: str | None = typer.Option(None, help="bind address (default from settings)"),
    port: int | None = typer.Option(None, min=1, max=65535, help="port (default from settings)"),
    seed_demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="seed demo data on first start")
    ] = True,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker", help="run the scheduled jobs in this process (default)"
        ),
    ] = True,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="web server processes")
    ] = 1,
) -> None:
    """Start the platform: migrations, demo data on first start, the job worker, then the
    web server (in ``--workers`` processes; the job worker still runs once)."""
    import uvicorn  # noqa: PLC0415 - imported only by the command that serves

    from klaremont import metrics  # noqa: PLC0415 - keeps other commands fast
    from klaremont.web.app import (  # noqa: PLC0415 - keeps other commands fast
        create_app,
        settle_for_serving,
        uvicorn_options,
    )

    started = time.perf_counter()
    platform = get_platform()
    settings = platform.settings
    if seed_demo and not settings.is_production:
        report = _seed_with_progress(demo.DemoSize())
        for line in report.lines:
            console.print(f"  {line}")
        _release_memory()
    if workers > 1 or metrics.multiprocess_dir() is not None:
        # every web process writes its request counts where one scrape adds them all up
        metrics.prepare_multiprocess_dir(metrics.multiprocess_dir() or settings.var_dir / "metrics")
    app = create_app(platform)
    bind_host = host or settings.host
    bind_port = port or settings.port
    base = f"http://{bind_host}:{bind_port}"
    console.print("[bold green]Klaremont is starting[/]")
    for label, path in (
        ("staff console", "/staff/login"),
        ("privacy centre", "/privacy/"),
        ("health", "/health"),
        ("API (OpenAPI)", "/openapi.json"),
    ):
        console.print(f"  {label:16} {base}{path}", soft_wrap=True)
    logins = demo.demo_logins()
    if logins and not settings.is_production:
        console.print("[bold]demo logins[/] (development only; never in production)")
        for login in logins:
            console.print(
                f"  {login.surface:16} {login.username:24} {login.password:32} {login.note}"
                + (f"  {login.second_factor}" if login.second_factor else ""),
                soft_wrap=True,
            )
    job_worker = _start_worker(platform) if with_worker else None
    if job_worker is None:
        console.print("  job worker       not in this process: run `klaremont worker`")
    console.print(f"ready in {time.perf_counter() - started:.2f}s; Ctrl+C stops")
    settle_for_serving()
    try:
        uvicorn.run(
            app if workers == 1 else f"{__name__}:web_app",
            factory=workers > 1,
            workers=workers if workers > 1 else None,
            host=bind_host,
            port=bind_port,
            log_config=None,
            access_log=False,
            server_header=False,  # no "server: uvicorn" in answers
            **uvicorn_options(),  # type: ignore[arg-type] # keyword options typed as object
        )
    finally:
        if job_worker is not None:
            job_worker.stop()


# The embedded worker looks for missed runs once the server is up, not during its start.
EMBEDDED_CATCH_UP_AFTER = timedelta(seconds=10)


def web_app() -> FastAPI:
    """The app of one web process under ``serve --workers N`` (uvicorn's factory)."""
    from klaremont.web.app import create_app  # noqa: PLC0415 - imported by web processes only

    return create_app(get_platform(upgrade=False))  # the parent applied migrations


def _start_worker(platform: Platform) -> Worker:
    """The job worker, in background threads of this process."""
    try:
        job_worker = Worker(platform)
    except ConfigurationError as exc:
        err_console.print(f"[bold red]error:[/] {exc.detail}", soft_wrap=True)
        raise typer.Exit(2) from exc
    job_worker.start(catch_up_after=EMBEDDED_CATCH_UP_AFTER)
    console.print(f"  job worker       {len(job_worker.jobs)} scheduled jobs in this process")
    return job_worker


def worker() -> None:
    """Run the scheduled jobs until stopped (SIGTERM or Ctrl+C finishes the running job)."""
    platform = get_platform()
    settings = platform.settings
    job_worker = _start_worker(platform)
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        console.print(f"{signal.Signals(signum).name}: finishing the running job, then stopping")
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    console.print(
        f"[bold green]worker {job_worker.identity} started[/] on "
        f"{'SQLite' if settings.database_url.startswith('sqlite') else 'PostgreSQL'}"
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        job_worker.stop()
        platform.dispose()
    console.print("worker stopped")


def _release_memory() -> None:
    """Give seeding's freed heap back to the OS so the server starts lean (glibc only)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return


def register(app: typer.Typer) -> None:
    """Add these commands to the root app."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(db_app)
    app.add_typer(demo_app)
