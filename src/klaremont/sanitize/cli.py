"""``klaremont sanitize``: make a verified, sanitised development copy; list past runs.

``klaremont sanitize run --to URL`` copies this installation's data store (or ``--from``
another with the same keys) through the rules, verifies the copy and records the run.
The exit status is 1 when the copy failed verification (it was deleted), 2 for bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from klaremont.cli.context import console, err_console, get_platform
from klaremont.errors import ValidationFailed
from klaremont.sanitize import record, report, service
from klaremont.sanitize.place import TargetRefused
from klaremont.sanitize.rules import RuleError

app = typer.Typer(
    name="sanitize",
    help="Sanitised development copies of the data store.",
    no_args_is_help=True,
)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[speed]} rows/s"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@app.command("run")
def run(
    to: Annotated[str, typer.Option("--to", help="sqlite:///FILE or postgresql:// URL.")],
    source: Annotated[
        str | None, typer.Option("--from", help="Source data store (default: this one).")
    ] = None,
    key_file: Annotated[
        Path | None, typer.Option(help="Run key file (else KLAREMONT_SANITIZE_KEY).")
    ] = None,
    keys_dir: Annotated[
        Path | None, typer.Option(help="Folder for the copy's own keys and keystore.")
    ] = None,
    html_file: Annotated[Path | None, typer.Option("--html", help="Write the HTML report.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the JSON report.")] = None,
    subset: Annotated[
        str | None,
        typer.Option(
            help="Copy only this share of the customers (e.g. 10%), closed under foreign keys."
        ),
    ] = None,
) -> None:
    """Make a sanitised copy; exit status 1 when it failed verification."""
    try:
        key = service.run_key(key_file)
    except service.KeyMissing as error:
        raise ValidationFailed.single("--key-file", str(error)) from None
    try:
        share = None if subset is None else service.parse_subset(subset)
    except ValueError as error:
        raise ValidationFailed.single("--subset", str(error)) from None
    platform = get_platform()
    total = 0
    try:
        with _progress() as bar:
            task = bar.add_task("copying", total=None, speed=0)

            def advance(table: str, rows: int) -> None:
                nonlocal total
                total += rows
                bar.update(task, advance=rows, description=table)
                elapsed = bar.tasks[task].elapsed or 0
                bar.update(task, speed=f"{total / elapsed:,.0f}" if elapsed else "-")

            outcome = service.sanitise(
                platform.settings,
                source_url=source,
                target_url=to,
                key=key,
                keys_dir=keys_dir,
                progress=advance,
                subset=share,
            )
    except RuleError as error:
        for problem in error.problems:
            err_console.print(f"[red]no rule:[/red] {problem}")
        raise ValidationFailed.single("rules", "every personal-data column needs a rule") from None
    except TargetRefused as error:
        raise ValidationFailed.single(error.option, error.rule) from None
    reference = record.save(platform, outcome.report, passed=outcome.passed, started_by="cli")
    outcome.report["reference"] = reference
    for path, text in (
        (json_file, report.to_json(outcome.report)),
        (html_file, report.to_html(outcome.report)),
    ):
        if path is not None:
            path.write_text(text, encoding="utf-8")
            console.print(f"report written to {path}")
    v = outcome.report["verification"]
    console.print(
        f"{reference}: {outcome.report['rows_written']:,} rows in {outcome.report['seconds']} s "
        f"({outcome.report['rows_per_second']:,} rows/s); verification "
        + ("passed" if outcome.passed else "FAILED: the copy was deleted")
    )
    console.print(
        f"card data found: {v['live_card_findings']}; source values found: "
        f"{v['source_values_found']}; foreign keys hold: {v['foreign_keys']['holds']}"
    )
    if not outcome.passed:
        raise typer.Exit(1)


@app.command("list")
def list_runs() -> None:
    """Past runs, newest first."""
    table = Table("Reference", "Started", "Target", "Rows", "Verified")
    for found in record.runs(get_platform()):
        table.add_row(
            found.reference,
            found.started_at.strftime("%Y-%m-%d %H:%M"),
            found.target,
            f"{found.rows_written:,}",
            "yes" if found.passed else "no (deleted)",
        )
    console.print(table)


@app.command("show")
def show(reference: Annotated[str, typer.Argument(help="A run's reference.")]) -> None:
    """One run's report (JSON)."""
    found = record.find(get_platform(), reference)
    if found is None:
        raise ValidationFailed.single("reference", f"no run called {reference!r}")
    console.print_json(json.dumps(json.loads(found.report)))
