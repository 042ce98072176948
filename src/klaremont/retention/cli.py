"""``klaremont retention``: the schedule, dry runs and runs, and the DPO's litigation holds.

The operator at the shell acts under their operating-system user name, as every
``klaremont`` command does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.retention import engine, litigation
from klaremont.retention.report import to_html
from klaremont.retention.schedule import schedule

app = typer.Typer(
    name="retention",
    help="The retention schedule, purge runs and litigation holds.",
    no_args_is_help=True,
)
hold = typer.Typer(name="hold", help="Litigation holds (the DPO).", no_args_is_help=True)
app.add_typer(hold)


@app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="print the schedule as JSON")] = False,
) -> None:
    """The retention schedule: per category, how long, from when, then what, and why."""
    rows = schedule(get_platform(upgrade=False).policy)
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "category": r.category,
                        "period": r.period,
                        "after": r.after,
                        "action": r.action,
                        "justification": r.justification,
                        "legal_holds": list(r.legal_holds),
                        "carried_out_by": r.carried_out_by,
                    }
                    for r in rows
                ]
            )
        )
        return
    console.print("[bold]Retention schedule[/bold] (the policy file's \\[retention.*] rules)\n")
    for r in rows:
        console.print(f"[bold]{r.what}[/bold] [dim]({r.category})[/dim]")
        console.print(f"  Kept for {r.period_words} after {r.after_words}, then {r.action_words}.")
        console.print(f"  Why: {r.justification}")
        for hold_words in r.legal_holds:
            console.print(f"  Kept by law: {hold_words}")
        console.print(f"  Carried out by {r.carried_out_by}.\n")


def _write(report: engine.Report, as_json: bool, html: Path | None) -> None:
    if html is not None:
        html.write_text(to_html(report), encoding="utf-8")
        console.print(f"wrote {html}")
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    title = "Retention dry run" if report.dry_run else "Retention run"
    table = Table(title=f"{title} {report.reference}")
    for column in ("category", "target", "then", "due", "done", "kept"):
        table.add_column(column, overflow="fold")
    for p in report.plans:
        done = "-" if report.dry_run else str(p.done)
        kept = str(sum(p.kept.values())) if p.kept else ""
        table.add_row(p.category, p.target, p.action, str(p.due), done, kept)
    console.print(table)
    for p in report.plans:
        for why, n in p.kept.items():
            console.print(f"kept ({p.target}): {n} by {why}", soft_wrap=True)
    for item in report.unplanned:
        console.print(f"[yellow]not applied[/yellow] {item['target']}: {item['reason']}")
    if not report.dry_run:
        console.print(
            f"{report.total_done} rows in {report.batches} batches; "
            f"{report.keys_destroyed} data keys destroyed"
            + (f"; carried on after {', '.join(report.resumed)}" if report.resumed else "")
        )


@app.command("run")
def run_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="report what is due; change nothing")
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=engine.MAX_BATCH, help="rows per transaction")
    ] = engine.DEFAULT_BATCH,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="also write the report as HTML")
    ] = None,
    compact: Annotated[
        bool,
        typer.Option(
            "--compact",
            help="PostgreSQL: then rewrite the changed tables (VACUUM FULL; locks each table)",
        ),
    ] = False,
) -> None:
    """Delete or anonymise what is due (or, with --dry-run, say what would go)."""
    platform = get_platform()
    if dry_run:
        _write(engine.dry_run(platform, actor=cli_actor()), as_json, html)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False, disable=as_json) as progress:
        tasks: dict[str, object] = {}

        def step(what: str, done: int, total: int | None) -> None:
            if what not in tasks:
                tasks[what] = progress.add_task(what, total=total)
            progress.update(tasks[what], completed=done, total=total)  # type: ignore[arg-type]

        report = engine.run(
            platform, actor=cli_actor(), batch_size=batch_size, progress=step, compact=compact
        )
    _write(report, as_json, html)


@hold.command("place")
def hold_place(
    customer: Annotated[str, typer.Option(help="account reference or e-mail address")],
    reason: Annotated[str, typer.Option(help="why (the claim), at least 10 characters")],
) -> None:
    """Place a litigation hold: nothing of the person's is purged, erased or shredded."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        placed = litigation.place(uow, customer, reason)
        console.print(f"litigation hold {placed.reference} placed on {placed.customer_reference}")


@hold.command("lift")
def hold_lift(
    reference: Annotated[str, typer.Argument(help="the hold, e.g. LH-2026-0001")],
    reason: Annotated[str, typer.Option(help="why it is no longer needed")],
) -> None:
    """Lift a litigation hold."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        lifted = litigation.lift(uow, reference, reason)
        console.print(f"litigation hold {lifted.reference} lifted")


@hold.command("list")
def hold_list(
    include_lifted: Annotated[bool, typer.Option("--all", help="lifted holds too")] = False,
) -> None:
    """The litigation holds in force (or all)."""
    table = Table(title="Litigation holds")
    for column in ("hold", "customer", "reason", "placed", "by", "lifted"):
        table.add_column(column, overflow="fold")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for h in litigation.listing(uow, include_lifted=include_lifted):
            lifted = h.lifted_at.date().isoformat() if h.lifted_at else ""
            table.add_row(
                h.reference,
                h.customer_reference,
                h.reason,
                h.placed_at.date().isoformat(),
                h.placed_by,
                lifted,
            )
    console.print(table)
