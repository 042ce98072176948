"""``klaremont accuracy``: the stale-data review of customer records (DP-ACCURATE, DPO).

Commands name records by reference (``C0001234``) and print references, dates and
categories -- never a personal value. Producing the report and recording a confirmation
are audited like the same actions in the staff console.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from klaremont.accuracy import report as stale
from klaremont.accuracy import service
from klaremont.accuracy.models import STAFF_CHANNELS, ReviewChannel
from klaremont.accuracy.render import to_csv, to_html
from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.errors import ValidationFailed

app = typer.Typer(
    name="accuracy",
    help="Stale-data review: customer records whose details are due to be confirmed.",
    no_args_is_help=True,
)
CHANNELS = sorted(c.value for c in STAFF_CHANNELS)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)  # the report names customers by reference


@app.command("report")
def report_command(
    within: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=3660,
            help="also list records due within this many days (default: the policy's)",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=100_000, help="list at most this many records")
    ] = stale.DEFAULT_LIMIT,
    html: Annotated[
        Path | None, typer.Option("--html", help="write the report as HTML here")
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="write the report as CSV here")
    ] = None,
) -> None:
    """Records overdue for review and due soon, oldest first (for the DPO)."""
    formats = ["table"] + (["html"] if html else []) + (["csv"] if csv_path else [])
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        report = stale.stale_records(uow, within_days=within, limit=limit, formats=formats)
    table = Table(
        title=f"Customer records due for review on {report.today.isoformat()} "
        f"(after {report.review_after_days} days; DPO)"
    )
    for column in ("reference", "list", "last confirmed", "due", "days left"):
        table.add_column(column, no_wrap=True)
    table.add_column("categories")
    table.add_column("last order", no_wrap=True)
    for item in [*report.overdue, *report.due_soon]:
        table.add_row(
            item.reference,
            "OVERDUE" if item.state == "overdue" else "due soon",
            f"{item.last_confirmed_at.date().isoformat()} ({item.basis})",
            item.due_on.isoformat(),
            str(item.days_left),
            ", ".join(item.categories),
            item.last_order_on.isoformat() if item.last_order_on else "none",
        )
    console.print(table)
    console.print(
        f"{report.overdue_total} overdue, {report.due_soon_total} due within "
        f"{report.within_days} days, of {report.accounts} open accounts"
        + (f" (first {report.listed} listed)" if report.truncated else "")
    )
    for path, text in ((html, to_html), (csv_path, to_csv)):
        if path is not None:
            _write(path, text(report))
            console.print(f"wrote {path}")


@app.command()
def confirm(
    customer: str = typer.Argument(..., help="the customer reference, e.g. C0001234"),
    channel: str = typer.Option("phone", help=f"how the customer confirmed: {', '.join(CHANNELS)}"),
) -> None:
    """Record that the customer confirmed their details are accurate."""
    if channel not in CHANNELS:
        raise ValidationFailed.single("channel", f"one of {', '.join(CHANNELS)}")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        done = service.confirm_accurate(uow, customer, channel=ReviewChannel(channel))
    console.print(
        f"{done.reference}: confirmed accurate ({done.channel}); "
        f"next review due {done.next_due_on.isoformat()}"
    )


@app.command()
def status(customer: str = typer.Argument(..., help="the customer reference")) -> None:
    """One record's review clock and its review history."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        found = service.review_status(uow, customer)
    clock = found.clock
    console.print(
        f"{found.reference}: {found.state}; last confirmed "
        f"{clock.last_confirmed_at.date().isoformat()} ({clock.basis}); "
        f"due {clock.due_on.isoformat()} ({clock.days_left} days left)"
    )
    for entry in found.history:
        console.print(
            f"  {entry.reviewed_at.strftime('%Y-%m-%d %H:%M')} {entry.outcome} "
            f"via {entry.channel} by {entry.actor_type}"
        )
