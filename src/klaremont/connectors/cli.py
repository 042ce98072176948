"""``klaremont connectors``: the declared external stores, a check of each, a person's rows
in them, and the retry of a store whose part of an erasure failed."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.connectors import service

app = typer.Typer(
    name="connectors",
    help="External stores the rights reach: list, check, access, retry.",
    no_args_is_help=True,
)


@app.command("list")
def list_command() -> None:
    """Every declared store: country, URL variable, tables and what erasure does."""
    table = Table("Store", "Country", "URL from", "Identity", "Tables (erasure)")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for found in service.declared(uow):
            identity = ", ".join(
                f"{t.name}.{t.identity.column}={t.identity.match.value}"
                for t in found.tables.values()
                if t.identity
            )
            tables = ", ".join(f"{t.name} ({t.erasure.value})" for t in found.tables.values())
            table.add_row(found.name, found.country, found.url_env, identity, tables)
    console.print(table)


@app.command("check")
def check_command() -> None:
    """Reach and reflect each store: its erasure order, the transfer verdict, problems."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        report = service.check(uow)
    failed = False
    for entry in report:
        mark = "[green]ok[/green]" if entry["ok"] else "[red]problem[/red]"
        console.print(f"[bold]{entry['store']}[/bold] ({entry['country']}): {mark}")
        console.print(f"  transfer: {entry['transfer']}")
        if "erase_order" in entry:
            console.print(f"  erasure order: {' -> '.join(entry['erase_order'])}")
        if entry.get("undeclared"):
            console.print(f"  reached but not declared: {', '.join(entry['undeclared'])}")
        for problem in entry["problems"]:
            console.print(f"  [red]{problem}[/red]")
        failed = failed or not entry["ok"]
    if not report:
        console.print("no external stores declared")
    if failed:
        raise typer.Exit(1)


@app.command("access")
def access_command(
    customer: Annotated[str, typer.Argument(help="account reference or e-mail address")],
) -> None:
    """The customer's rows in every declared store, as JSON (audited)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        sections = [
            {"subject_id": str(subject), "stores": service.external_access(uow, subject)}
            for subject in service.subjects_named(uow, customer)
        ]
    typer.echo(json.dumps(sections, indent=2, sort_keys=True, ensure_ascii=False))


@app.command("runs")
def runs_command(
    request: Annotated[str | None, typer.Argument(help="a request reference")] = None,
) -> None:
    """Recorded erasure runs per store (of one request, or all)."""
    table = Table("Request", "Store", "State", "Attempts", "Done", "Error")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for run in service.runs(uow, request):
            shown = service.summary(run)
            done = ", ".join(
                f"{name}: {c['action']} {c['rows']}" for name, c in shown["counts"].items()
            )
            table.add_row(
                run.reference,
                run.store,
                run.state.value,
                str(run.attempts),
                done,
                run.error_class or "",
            )
    console.print(table)


@app.command("retry")
def retry_command(
    request: Annotated[str, typer.Argument(help="the erasure request's reference")],
) -> None:
    """Erase again every store that failed for the request (one transaction each)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        results = service.retry(uow, request)
    if not results:
        console.print(f"{request}: no failed store to retry")
    failed = False
    for result in results:
        state = result["state"]
        failed = failed or state != "done"
        console.print(f"{result['store']}: {state} {result['error_class'] or ''}".rstrip())
    if failed:
        raise typer.Exit(1)
