"""``klaremont mail``: deliver the outbox and show how it stands.

Prints counts and statuses only: never an address or a body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from klaremont.cli.context import console, get_platform
from klaremont.errors import ConfigurationError
from klaremont.mail.config import MailSettings
from klaremont.mail.runner import send_pending as run_send_pending
from klaremont.mail.service import counts
from klaremont.mail.smtp import SmtpTransport

if TYPE_CHECKING:
    from klaremont.mail.service import Delivery

app = typer.Typer(
    name="mail", help="The mail outbox: deliver pending mail, show status.", no_args_is_help=True
)


@app.command("send-pending")
def send_pending(
    limit: int = typer.Option(
        0, min=0, max=100_000, help="send at most this many (0: the configured batch size)"
    ),
) -> None:
    """Deliver every message that is due, retrying failures later with backoff."""
    platform = get_platform()
    settings = MailSettings()
    problems = settings.problems(production=platform.settings.is_production)
    if problems:
        raise ConfigurationError("refusing to send mail:\n  - " + "\n  - ".join(problems))
    columns = (
        TextColumn("[bold]sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("mail", total=None)

        def started(total: int) -> None:
            progress.update(task, total=total)

        def each(_outcome: Delivery | None) -> None:
            progress.advance(task)

        report = run_send_pending(
            platform,
            SmtpTransport(settings),
            settings,
            limit=limit or None,
            on_start=started,
            on_each=each,
        )
    console.print(
        f"due {report.due}: sent {report.count('sent')}, "
        f"retry later {report.count('pending')}, failed {report.count('failed')}, "
        f"cancelled {report.count('cancelled')}, skipped {report.count('skipped')}"
    )


@app.command()
def status() -> None:
    """How many messages are pending, sent, failed and cancelled."""
    platform = get_platform()
    with platform.unit_of_work() as uow:
        found = counts(uow.session)
    table = Table("status", "messages", title="Mail outbox")
    for name, number in found.items():
        table.add_row(name, str(number))
    console.print(table)
