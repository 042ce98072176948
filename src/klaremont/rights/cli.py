"""``klaremont rights``: data subject requests from the command line (DPO and back office).

Requests are named by id or by reference (``DSR-...``). Commands print references, kinds,
states, dates and counts -- never a personal value. Refusals that must stay on record (a
duplicate, a wrong code, a blocked erasure) are audited in their own transaction first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from klaremont import inputfiles as files
from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.clock import uk_date
from klaremont.errors import ValidationFailed
from klaremont.rights import changes, delivery, due, erasure, fulfil, intake, pauses, service
from klaremont.rights.identity import verification_failed
from klaremont.rights.states import (
    IntakeChannel,
    ObjectionScope,
    PauseReason,
    RequestKind,
    RequestState,
)

app = typer.Typer(
    name="rights",
    help="Data subject requests: intake, identity, deadlines, fulfilment, erasure.",
    no_args_is_help=True,
)


def _scope(value: str | None) -> ObjectionScope | None:
    return ObjectionScope(value) if value else None


@app.command()
def create(
    customer: str = typer.Argument(..., help="the customer reference, e.g. C0001234"),
    kind: RequestKind = typer.Argument(..., help="which right"),
    channel: IntakeChannel = typer.Option(IntakeChannel.PHONE, help="phone or letter"),
    scope: str | None = typer.Option(None, help="objection only: marketing or processing"),
    note: str | None = typer.Option(None, help="the requester's words (kept sealed)"),
) -> None:
    """Record a request made by phone or letter; a code goes to the address on the account."""
    platform = get_platform()
    details = {"note": note} if note else None
    try:
        with platform.unit_of_work(actor=cli_actor()) as uow:
            made = intake.submit_for_customer(
                uow, customer, kind, channel, scope=_scope(scope), details=details
            )
            reference, due_on = made.reference, made.due_on
    except service.DuplicateRequest as duplicate:
        with platform.unit_of_work(actor=cli_actor()) as uow:
            service.record_duplicate(uow, duplicate)
        raise
    console.print(
        f"recorded {reference} ({kind.value}); a verification code was sent to the address "
        f"on the account; due {due_on.isoformat()} (the clock waits for the code)"
    )


@app.command()
def verify(
    request: str = typer.Argument(..., help="request id or reference"),
    code: str | None = typer.Option(None, help="the code the requester read back"),
    document: str | None = typer.Option(None, help="identity checked from documents: a note"),
) -> None:
    """Confirm the requester's identity by their code (or, for the DPO, by documents)."""
    if (code is None) == (document is None):
        raise ValidationFailed.single("code", "give either --code or --document")
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        found = service.find(uow, request)
        if code is not None:
            ok = intake.confirm_staff_code(uow, found, code)
        else:
            intake.verify_by_document(uow, found, document or "")
            ok = True
        reference, due_on = found.reference, found.due_on
    if not ok:
        raise verification_failed()
    console.print(f"{reference} verified; due {due_on.isoformat()}")


@app.command("fulfil")
def fulfil_command(
    request: str = typer.Argument(..., help="request id or reference"),
    recipient_url: str | None = typer.Option(None, help="portability: send it to this https URL"),
    recipient_country: str | None = typer.Option(
        None, help="portability: the recipient's country (ISO alpha-2), checked for transfers"
    ),
    corrections: Path | None = typer.Option(None, help="rectification: a JSON list of changes"),
) -> None:
    """Fulfil a verified request (an erasure too: it is carried out in one transaction)."""
    platform = get_platform()
    fixes = files.read_json(corrections, "--corrections") if corrections else None
    with platform.unit_of_work(actor=cli_actor()) as uow:
        found = service.find(uow, request)
        if found.kind is RequestKind.ERASURE:
            request_id = found.id
        else:
            done = fulfil.fulfil(
                uow,
                found.id,
                corrections=fixes,
                recipient_url=recipient_url,
                recipient_country=recipient_country,
            )
            console.print(f"{done.reference}: {done.state}; {json.dumps(done.outcome)}")
            return
    _erase(request_id)


def _erase(request_id: object) -> None:
    platform = get_platform()
    try:
        with platform.unit_of_work(actor=cli_actor()) as uow:
            reply = erasure.erase(uow, service.find(uow, str(request_id)).id)
    except erasure.ErasureBlocked as blocked:
        with platform.unit_of_work(actor=cli_actor()) as uow:
            erasure.record_blocked(uow, service.find(uow, str(request_id)).id, blocked)
        raise
    console.print(f"deleted: {json.dumps(dict(reply.deleted), sort_keys=True)}")
    console.print(f"kept under legal hold: {json.dumps(dict(reply.retained), sort_keys=True)}")
    key = (
        f"destroyed {reply.key_destroyed_at.isoformat()}"
        if reply.key_destroyed_at
        else f"destroyed when nothing retained needs it ({reply.shred_due_at.date().isoformat()})"
    )
    console.print(f"data key: {key}")


@app.command()
def refuse(
    request: str = typer.Argument(..., help="request id or reference"),
    reason: str = typer.Argument(..., help="the reason the requester is given"),
) -> None:
    """Refuse a request, with its reason."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        found = service.find(uow, request)
        service.refuse(uow, found, reason)
        console.print(f"{found.reference} refused")


@app.command()
def extend(
    request: str = typer.Argument(..., help="request id or reference"),
    months: int = typer.Argument(..., min=1, max=12, help="1 or 2 further months"),
    reason: str = typer.Argument(..., help="why (the requester is told)"),
) -> None:
    """Extend a deadline by up to two months, within the first month."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        found = service.find(uow, request)
        service.extend(uow, found, months, reason)
        console.print(f"{found.reference} extended; due {found.due_on.isoformat()}")


@app.command()
def pause(
    request: str = typer.Argument(..., help="request id or reference"),
    reason: PauseReason = typer.Argument(..., help="what the DPO waits for from the requester"),
    note: str | None = typer.Option(None, help="what is needed (kept sealed; needed for other)"),
) -> None:
    """Stop the clock while waiting for the requester; they are told what is needed."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        found = service.find(uow, request)
        pauses.pause(uow, found, reason, note)
        console.print(f"{found.reference}: clock paused ({reason.value}); the requester was told")


@app.command()
def resume(request: str = typer.Argument(..., help="request id or reference")) -> None:
    """Start the clock again: the deadline moves by the whole days it was paused."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        found = service.find(uow, request)
        stop = pauses.resume(uow, found)
        days = stop.days if stop is not None else 0
        console.print(
            f"{found.reference}: clock running again after {days} day(s); "
            f"due {found.due_on.isoformat()}"
        )


@app.command()
def decide(
    request: str = typer.Argument(..., help="request id or reference"),
    reason: str = typer.Argument(..., help="the DPO's reason"),
    uphold: Annotated[
        bool, typer.Option("--uphold/--reject", help="uphold the objection?")
    ] = False,
) -> None:
    """The DPO's decision on an objection to holding the data."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        found = service.find(uow, request)
        changes.decide_objection(uow, found, uphold=uphold, reason=reason)
        console.print(f"{found.reference}: {found.state.value}")


@app.command("due")
def due_command(
    within: int = typer.Option(7, min=0, max=366, help="list what falls due within this many days"),
    alert: Annotated[bool, typer.Option(help="also record the lists for the DPO role")] = False,
) -> None:
    """Overdue and due-soon requests, for the DPO."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        report = due.alert_dpo(uow, within) if alert else due.due_report(uow, within)
    table = Table(title=f"Requests due by {report.today.isoformat()} + {within} days (DPO)")
    for column in ("reference", "kind", "state", "received", "due", "days left", "list"):
        table.add_column(column, no_wrap=column == "reference")
    groups = (
        ("OVERDUE", report.overdue),
        ("due soon", report.due_soon),
        ("identity pending", report.identity_pending),
        ("clock paused", report.clock_paused),
    )
    for label, items in groups:
        for item in items:
            table.add_row(
                item.reference,
                item.kind,
                item.state,
                item.received_on.isoformat(),
                item.due_on.isoformat(),
                str(item.days_left),
                label,
            )
    console.print(table)
    console.print(
        f"{len(report.overdue)} overdue, {len(report.due_soon)} due soon, "
        f"{len(report.identity_pending)} waiting for identity, "
        f"{len(report.clock_paused)} with the clock paused"
    )


@app.command("list")
def list_command(
    state: RequestState | None = typer.Option(None, help="only this state"),
) -> None:
    """Requests, soonest deadline first."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        today = uk_date(uow.clock.now())
        table = Table(title="Data subject requests")
        for column in ("reference", "kind", "state", "channel", "due", "days left"):
            table.add_column(column, no_wrap=column == "reference")
        for found in service.list_requests(uow, state=state):
            deadline = service.deadline_of(uow, found, today)
            table.add_row(
                found.reference,
                found.kind.value,
                found.state.value,
                found.channel.value,
                deadline.due.isoformat(),
                str(deadline.days_left(today)),
            )
    console.print(table)


@app.command()
def export(
    request: str = typer.Argument(..., help="request id or reference"),
    output: Path = typer.Argument(..., help="file to write (created with mode 0600)"),
    fmt: str = typer.Option("json", "--format", help="json, html or zip"),
) -> None:
    """Write a prepared copy of a fulfilled access or portability request to a file."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        artifact = delivery.for_staff(uow, service.find(uow, request).id, fmt)
    output.touch(mode=0o600, exist_ok=False)
    output.write_bytes(artifact.content)
    console.print(f"wrote {output} ({len(artifact.content)} bytes, {artifact.media_type})")


@app.command("shred-due")
def shred_due() -> None:
    """Destroy the data keys of erased people that nothing retained needs any more (daily)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        done = erasure.shred_due(uow)
        purged = delivery.purge_expired(uow)
    console.print(f"data keys destroyed: {len(done)}; expired copies deleted: {purged}")
