"""``klaremont audit``: verify the tamper-evident log, show events, force a checkpoint,
archive old events.

Every command is itself audited: ``verify`` records ``audit.verify`` with its result,
``show`` records ``audit.read`` (IS-AC-LOGIN-LOG), ``checkpoint`` records
``audit.checkpoint`` before sealing it and ``archive`` records ``audit.archive``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from klaremont.audit.archive_format import archive_dir
from klaremont.audit.archive_result import ArchiveRefused
from klaremont.audit.archive_run import run_archive
from klaremont.audit.events import Actor, ActorType, AuditAction, action_tag
from klaremont.audit.verify_record import record_verification
from klaremont.cli.context import cli_actor, console, err_console, get_platform

if TYPE_CHECKING:
    from klaremont.audit.models import AuditEvent

app = typer.Typer(
    name="audit",
    help=(
        "Tamper-evident audit log: verify the chain, show events, force a checkpoint, "
        "archive old events."
    ),
    no_args_is_help=True,
)


@app.command()
def verify(
    all_signatures: Annotated[
        bool,
        typer.Option(
            "--all-signatures", help="check every checkpoint's signature, not only those needed"
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="worker processes (default: one per core for large logs)"),
    ] = None,
) -> None:
    """Check the hash chain and the signed checkpoints; exit 1 at the first broken event."""
    platform = get_platform()
    with Progress(
        TextColumn("verifying audit log"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("verify", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = platform.audit.verify(
            platform.engine, progress=progress, workers=workers, all_signatures=all_signatures
        )
    with platform.unit_of_work(actor=cli_actor()) as uow:
        record_verification(uow, report, via="command")
    if report.ok:
        console.print(
            f"[bold green]OK[/] {report.events:,} events{report.archive_note()}, "
            f"{report.checkpoints:,} checkpoints, "
            f"sealed to #{report.sealed_seq} in {report.elapsed:.2f}s ({report.rate:,.0f} events/s)"
        )
        if report.unsealed_tail:
            console.print(
                f"[yellow]note:[/] {report.unsealed_tail} event(s) after the last checkpoint "
                "(unsealed tail); run `klaremont audit checkpoint` to seal them"
            )
        return
    first = report.findings[0]
    console.print(
        f"[bold red]BROKEN[/] at {first.where}: [bold]{first.kind.value}[/] - {first.message}"
    )
    for other in report.findings[1:]:
        console.print(f"  also: {other.kind.value} at #{other.seq}: {other.message}")
    raise typer.Exit(1)


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)  # 3.11 reads a trailing Z
    except ValueError as exc:
        msg = f"{option}: not an ISO 8601 time ({value!r})"
        raise typer.BadParameter(msg) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_actor(value: str | None) -> tuple[Actor | None, str | None]:
    """``type:id`` names one party; a bare id matches that id of any type."""
    if value is None:
        return None, None
    kind, sep, ident = value.partition(":")
    if sep and kind in {t.value for t in ActorType}:
        return Actor(ActorType(kind), ident), None
    return None, value


@app.command()
def show(
    action: Annotated[str | None, typer.Option(help="an action tag, e.g. auth.login")] = None,
    actor: Annotated[str | None, typer.Option(help="type:id (staff:alice) or an id")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601 time; naive means UTC")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="most recent N events")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Show audit events, newest last (reading the log is itself audited)."""
    tag = None
    if action is not None:
        try:
            tag = action_tag(action)
        except ValueError as exc:
            msg = f"--action: unknown action tag {action!r}"
            raise typer.BadParameter(msg) from exc
    who, actor_id = _parse_actor(actor)
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        events = platform.audit.read(
            uow.session,
            reader=uow.actor,
            action=tag,
            actor=who,
            actor_id=actor_id,
            since=_parse_time(since, "--since"),
            limit=limit,
            newest_first=True,
        )
    events.reverse()
    if as_json:
        typer.echo(json.dumps([event.as_dict() for event in events], indent=2, ensure_ascii=False))
        return
    console.print(_table(events))


def _table(events: list[AuditEvent]) -> Table:
    table = Table(title=f"audit events ({len(events)})", show_lines=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("actor", overflow="fold")  # wrap, never cut, in a narrow terminal
    table.add_column("action", no_wrap=True)
    for column in ("outcome", "origin", "resource"):
        table.add_column(column, overflow="fold")
    table.add_column("purpose", overflow="fold")
    table.add_column("details", overflow="fold")
    for event in events:
        colour = {"success": "green", "failure": "red", "denied": "yellow"}.get(event.outcome, "")
        table.add_row(
            str(event.seq),
            event.occurred_at,
            f"{event.actor_type}:{event.actor_id}",
            event.action,
            f"[{colour}]{event.outcome}[/]" if colour else event.outcome,
            event.origin or "",
            event.resource or "",
            event.purpose or "",
            event.details if event.details != "{}" else "",
        )
    return table


@app.command()
def checkpoint() -> None:
    """Sign the current end of the log now and append it to the checkpoint file."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        recorded = uow.audit(AuditAction.AUDIT_CHECKPOINT, resource="audit_events")
    platform.audit.flush()  # the sealer may not have written the new head's checkpoint yet
    sealed = platform.audit.last_checkpoint
    if sealed is None or sealed.seq < recorded.seq:
        sealed = platform.audit.checkpoint(platform.engine)
    if sealed is None:  # pragma: no cover - the event just recorded is in the log
        err_console.print("[red]error:[/] the audit log is empty")
        raise typer.Exit(1)
    console.print(
        f"checkpoint: event #{sealed.seq} hash {sealed.hash[:16]}... key {sealed.key_id} "
        f"-> {platform.audit.checkpoint_file}"
    )


@app.command()
def archive() -> None:
    """Move events older than the online period (policy: audit_archive.online_months) into
    signed archive segments beside the checkpoints, and dispose of segments past the audit
    log's retention period; exit 1 when the archive cannot go on."""
    platform = get_platform()
    with Progress(
        TextColumn("archiving audit events"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("archive", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = run_archive(
                platform,
                via="command",
                units=lambda: platform.unit_of_work(actor=cli_actor()),
                progress=progress,
            )
        except ArchiveRefused as exc:
            err_console.print(f"[bold red]refused:[/] {exc}")
            raise typer.Exit(1) from None
    console.print(f"[bold green]done[/] {result.summary()}")
    console.print(f"archive: {archive_dir(platform.audit.checkpoint_file)}")
