"""``klaremont backup``: encrypted backups of both databases, restores, and their keys.

Works the same on SQLite and PostgreSQL (``pg_dump``/``pg_restore`` are found and run for
you). A restore re-applies the erasure ledger and sets the old checkpoint file aside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from klaremont.backup import keys, service
from klaremont.backup.common import Progress as Reporter
from klaremont.cli.context import cli_actor, console, get_platform

app = typer.Typer(
    name="backup",
    help="Encrypted backups of both databases; restore; destroy a backup's key.",
    no_args_is_help=True,
)


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _reporter(bar: Progress, task: TaskID) -> Reporter:
    def report(phase: str, done: int, total: int | None) -> None:
        bar.update(task, description=phase, completed=done, total=total)

    return report


@app.command()
def create() -> None:
    """Back up both databases into one encrypted file under var/backups/ (key kept apart)."""
    platform = get_platform()
    with _bar() as bar:
        task = bar.add_task("starting", total=None)
        path, manifest = service.create(platform, actor=cli_actor(), progress=_reporter(bar, task))
    console.print(f"backup: {path}")
    console.print(
        f"id {manifest.backup_id}; {manifest.database}; {manifest.size} bytes; "
        f"schema {manifest.schema_revision}; encrypted with its own key, kept in "
        f"{keys.key_dir(platform.settings)} (store that apart from the backups, with the "
        "key file); no key-encryption key or signing key is in it"
    )


@app.command("list")
def list_command() -> None:
    """Every backup, and whether its key still exists."""
    table = Table(title="Backups")
    table.add_column("id", overflow="fold")
    table.add_column("created (UTC)", overflow="fold")
    table.add_column("database", min_width=10)
    table.add_column("bytes", justify="right", min_width=9)
    table.add_column("key", min_width=9, overflow="fold")
    for item in service.listing(get_platform()):
        manifest = item.manifest
        table.add_row(
            manifest.backup_id or item.path.name,
            manifest.created_at[:16].replace("T", " "),
            manifest.database,
            str(manifest.size),
            item.key,
        )
    console.print(table)


@app.command()
def restore(
    backup: Path = typer.Argument(..., help="the backup file"),
    keep_current: Annotated[bool, typer.Option(help="back up the current databases first")] = True,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Replace both databases with a backup, then re-apply the erasure ledger.

    Stop the web processes and workers first: they hold connections to the databases.
    """
    platform = get_platform()
    with _bar() as bar:
        task = bar.add_task("checking", total=None)
        manifest = service.verify(platform, backup, progress=_reporter(bar, task))
    if not yes:
        typer.confirm(
            f"Replace the live databases with {manifest.file} of {manifest.created_at}?",
            abort=True,
        )
    with _bar() as bar:
        task = bar.add_task("checking", total=None)
        report = service.restore(
            platform,
            backup,
            actor=cli_actor(),
            keep_current=keep_current,
            progress=_reporter(bar, task),
        )
    if report.previous_copy:
        console.print(f"the databases it replaced were backed up as {report.previous_copy}")
    ledger = report.ledger
    console.print(
        f"restored {manifest.file}; erasure ledger re-applied: {ledger.entries} entries, "
        f"{ledger.subjects_found} erased people found again, {ledger.rows_deleted} rows "
        f"deleted, {ledger.keys_destroyed + report.keys_destroyed_again} keys destroyed; "
        "the old audit checkpoint file was set aside"
    )
    if report.reapplied:
        rows = sum(report.reapplied.values())
        console.print(f"purges made since the backup re-applied: {rows} rows again")


@app.command()
def verify(backup: Path = typer.Argument(..., help="the backup file")) -> None:
    """Decrypt and check a whole backup (every chunk, the manifest) without restoring it."""
    platform = get_platform()
    with _bar() as bar:
        task = bar.add_task("checking", total=None)
        manifest = service.verify(platform, backup, progress=_reporter(bar, task))
    console.print(f"{manifest.file}: every part checked, ok")


@app.command("destroy-key")
def destroy_key(
    backup_id: str = typer.Argument(..., help="the backup's id (see `klaremont backup list`)"),
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Crypto-shred a backup: destroy its key, so no copy of it can be read again."""
    if not yes:
        typer.confirm(
            f"Destroy the key of backup {backup_id}? It can never be restored afterwards.",
            abort=True,
        )
    service.destroy_key(get_platform(), backup_id, actor=cli_actor())
    console.print(f"backup {backup_id}: key destroyed; every copy of it is now unreadable")


@app.command("reapply-ledger")
def reapply_ledger() -> None:
    """Erase again everyone in the erasure ledger (restore does this itself; safe any time)."""
    report = service.reapply_ledger(get_platform(), actor=cli_actor())
    console.print(
        f"erasure ledger: {report.entries} entries, {report.subjects_found} erased people found "
        f"again, {report.rows_deleted} rows deleted, {report.keys_destroyed} keys destroyed"
    )
