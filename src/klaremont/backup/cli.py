"""``klaremont backup``: back up and restore the embedded SQLite data store.

Backups never contain data keys (the keystore is separate). A restore re-applies the
erasure ledger, so erased people stay erased. On PostgreSQL use ``pg_dump``/``pg_restore``
and then ``klaremont backup reapply-ledger``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from klaremont.backup import service
from klaremont.cli.context import cli_actor, console, get_platform

app = typer.Typer(
    name="backup",
    help="Back up and restore the embedded database; re-apply the erasure ledger.",
    no_args_is_help=True,
)


def _bar(label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
    )


@app.command()
def create() -> None:
    """Copy the live database (online, consistent) under var/backups/ with a manifest."""
    platform = get_platform()
    service.database_file(platform)  # PostgreSQL: says what to use instead
    with _bar("backing up pages") as bar:
        task = bar.add_task("backup", total=None)
        path, manifest = service.create(
            platform,
            actor=cli_actor(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(f"backup: {path}")
    console.print(
        f"sha256 {manifest.sha256}; {manifest.size} bytes; schema {manifest.schema_revision}; "
        "data keys are not in it (the keystore is separate)"
    )


@app.command("list")
def list_command() -> None:
    """Every backup and its manifest."""
    table = Table(title="Backups")
    for column in ("file", "created", "size", "schema", "sha256"):
        table.add_column(column, no_wrap=column == "file")
    for path, manifest in service.listing(get_platform()):
        table.add_row(
            path.name,
            manifest.created_at,
            str(manifest.size),
            manifest.schema_revision or "",
            manifest.sha256[:16] + "...",
        )
    console.print(table)


@app.command()
def restore(
    backup: Path = typer.Argument(..., help="the backup file (its manifest must be beside it)"),
    keep_current: Annotated[bool, typer.Option(help="back up the current database first")] = True,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Replace the live database with a backup, then re-apply the erasure ledger.

    Stop the web processes first: they hold connections to the current file.
    """
    platform = get_platform()
    service.database_file(platform)
    manifest = service.verify(backup)
    if not yes:
        typer.confirm(
            f"Replace the live database with {manifest.file} of {manifest.created_at}?",
            abort=True,
        )
    with Progress(
        TextColumn("restoring"), BarColumn(), DownloadColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("restore", total=manifest.size)
        report = service.restore(
            platform,
            backup,
            actor=cli_actor(),
            keep_current=keep_current,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if report.previous_copy:
        console.print(f"the database it replaced was kept as {report.previous_copy}")
    ledger = report.ledger
    console.print(
        f"restored {manifest.file}; erasure ledger re-applied: {ledger.entries} entries, "
        f"{ledger.subjects_found} erased people found again, {ledger.rows_deleted} rows "
        f"deleted, {ledger.keys_destroyed} keys destroyed"
    )


@app.command()
def verify(backup: Path = typer.Argument(..., help="the backup file")) -> None:
    """Check a backup against its manifest and SQLite's integrity check."""
    manifest = service.verify(backup)
    console.print(f"{manifest.file}: sha256 and integrity check ok")


@app.command("reapply-ledger")
def reapply_ledger() -> None:
    """Erase again everyone in the erasure ledger (run after any pg_restore; safe any time)."""
    report = service.reapply_ledger(get_platform(), actor=cli_actor())
    console.print(
        f"erasure ledger: {report.entries} entries, {report.subjects_found} erased people found "
        f"again, {report.rows_deleted} rows deleted, {report.keys_destroyed} keys destroyed"
    )
