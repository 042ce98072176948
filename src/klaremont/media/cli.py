"""``klaremont media``: the inventory of media holding personal data, movements, stocktakes
and disposals, and both registers as HTML or CSV.

The operator at the shell has the ISO's reach (as every ``klaremont`` command does), and is
recorded under their operating-system user name: the operator who requested a disposal
cannot approve it from the same account.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.errors import ValidationFailed
from klaremont.media import disposal, register, service, stocktake
from klaremont.media.actions import MediaAction
from klaremont.media.states import KIND_WORDS, STATE_WORDS, ItemState, MediaKind

app = typer.Typer(
    name="media",
    help="Media holding personal data: inventory, movements, stocktakes, disposal.",
    no_args_is_help=True,
)
take = typer.Typer(name="stocktake", help="Count every item on hand.", no_args_is_help=True)
dispose = typer.Typer(
    name="dispose", help="Request, approve and carry out a disposal.", no_args_is_help=True
)
app.add_typer(take)
app.add_typer(dispose)
E = TypeVar("E", bound=StrEnum)


def _enum(value: str, enum: type[E], option: str) -> E:
    try:
        return enum(value)
    except ValueError:
        words = ", ".join(member.value for member in enum)
        raise ValidationFailed.single(option, f"one of {words}") from None


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.single(option, "a date such as 2026-03-02") from None


@app.command("list")
def list_command(
    state: Annotated[str | None, typer.Option(help="only items in this state")] = None,
    kind: Annotated[str | None, typer.Option(help="only items of this kind")] = None,
) -> None:
    """The inventory, by label."""
    wanted_state = _enum(state, ItemState, "--state") if state else None
    wanted_kind = _enum(kind, MediaKind, "--kind") if kind else None
    table = Table(title="Media inventory")
    for column in ("label", "kind", "holds", "location", "custodian", "state"):
        table.add_column(column, overflow="fold")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for item in service.items(uow, state=wanted_state, kind=wanted_kind):
            holds = ", ".join(
                w
                for w, f in (("personal", item.holds_personal_data), ("card", item.holds_card_data))
                if f
            )
            table.add_row(
                item.label,
                KIND_WORDS[item.kind],
                holds,
                item.location,
                item.held_by or item.custodian,
                STATE_WORDS[item.state],
            )
    console.print(table)


@app.command()
def add(
    label: Annotated[str, typer.Argument(help="the label on the item")],
    kind: Annotated[str, typer.Option(help=", ".join(k.value for k in MediaKind))],
    location: Annotated[str, typer.Option(help="where it is kept")],
    custodian: Annotated[str, typer.Option(help="who is answerable for it")],
    created: Annotated[str, typer.Option(help="when it was made: 2026-03-02")],
    encryption: Annotated[str | None, typer.Option(help="how it is encrypted")] = None,
    card_data: Annotated[bool, typer.Option("--card-data", help="it holds card data")] = False,
    no_personal_data: Annotated[
        bool, typer.Option("--no-personal-data", help="it holds card data only")
    ] = False,
    retention_due: Annotated[str | None, typer.Option(help="when it is due for disposal")] = None,
) -> None:
    """Register an item."""
    new = service.NewItem(
        label=label,
        kind=_enum(kind, MediaKind, "--kind"),
        holds_personal_data=not no_personal_data,
        holds_card_data=card_data,
        encryption=encryption,
        location=location,
        custodian=custodian,
        created_on=_date(created, "--created") or date.today(),  # noqa: DTZ011 - never None
        retention_due=_date(retention_due, "--retention-due"),
    )
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = service.register(uow, new)
        console.print(f"registered {made.label}")


@app.command()
def show(label: Annotated[str, typer.Argument(help="the item's label")]) -> None:
    """One item: its details, movements and disposal steps."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        item = service.find(uow, label)
        for name, value in zip(
            register.INVENTORY_HEADER, register.inventory_row(item), strict=True
        ):
            console.print(f"{name}: {value}")
        for moved in service.movements(uow, item):
            console.print(
                f"moved {moved.moved_at:%Y-%m-%d %H:%M} to {moved.to_location}, handed to "
                f"{moved.handed_to}, approved by {moved.approved_by}, "
                f"recorded by {moved.recorded_by}"
            )
        for step in disposal.steps(uow, item):
            console.print(f"disposal {step.reference}: {step.step.value} by {step.actor_name}")


@app.command()
def move(
    label: Annotated[str, typer.Argument(help="the item's label")],
    to: Annotated[str, typer.Option("--to", help="where it goes")],
    handed_to: Annotated[str, typer.Option(help="who receives it")],
    approved_by: Annotated[str, typer.Option(help="username of the ISO who approved")],
    returned: Annotated[bool, typer.Option("--returned", help="back into store")] = False,
) -> None:
    """Record a movement."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        service.move(
            uow,
            label,
            to_location=to,
            handed_to=handed_to,
            approved_by=approved_by,
            returned=returned,
        )
    console.print(f"{label}: moved to {to}")


@take.command("start")
def take_start() -> None:
    """Start a stocktake."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        count = stocktake.start(uow)
        console.print(f"stocktake {count.reference}: {count.expected} items to find")


@take.command("seen")
def take_seen(label: Annotated[str, typer.Argument(help="the item's label")]) -> None:
    """Mark an item seen."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        stocktake.seen(uow, label)
    console.print(f"{label}: seen")


@take.command("finish")
def take_finish() -> None:
    """Finish the stocktake: items not seen become missing and a loss is reported."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        count, missing = stocktake.finish(uow)
        console.print(f"stocktake {count.reference}: {count.seen} seen, {count.missing} missing")
        for item in missing:
            console.print(f"missing: {item.label} (reported to the ISO as a loss)")


@dispose.command("request")
def dispose_request(
    label: Annotated[str, typer.Argument(help="the item's label")],
    reason: Annotated[str, typer.Option(help="why it should go")],
) -> None:
    """Request a disposal."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = disposal.request(uow, label, reason)
        console.print(f"disposal {made.reference} requested: the ISO approves it")


@dispose.command("approve")
def dispose_approve(label: Annotated[str, typer.Argument(help="the item's label")]) -> None:
    """Approve a requested disposal (not the requester)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = disposal.approve(uow, label)
        console.print(f"disposal {made.reference} approved")


@dispose.command("carry-out")
def dispose_carry_out(
    label: Annotated[str, typer.Argument(help="the item's label")],
    category: Annotated[str, typer.Option(help="clear, purge or destroy")],
    technique: Annotated[
        str, typer.Option(help="delete, overwrite, crypto_erase, degauss, shred, incinerate")
    ],
    performed_by: Annotated[str, typer.Option(help="who did it")],
    witness: Annotated[str, typer.Option(help="who watched (someone else)")],
    certificate: Annotated[str, typer.Option(help="the certificate's reference")],
) -> None:
    """Record the disposal carried out (a backup: its key is destroyed, its file deleted)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = disposal.carry_out(
            uow, label, disposal.CarryOut(category, technique, performed_by, witness, certificate)
        )
        console.print(f"disposal {made.reference} carried out: {label} disposed of")


@app.command("register")
def register_command(
    html: Annotated[Path | None, typer.Option("--html", help="write the registers as HTML")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="write the inventory as CSV")] = None,
    disposals_csv: Annotated[
        Path | None, typer.Option("--disposals-csv", help="write the disposal register as CSV")
    ] = None,
) -> None:
    """The inventory and the disposal register, as HTML and CSV files."""
    if html is None and csv is None and disposals_csv is None:
        raise ValidationFailed.single("--html", "name a file for --html, --csv or --disposals-csv")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = register.registers(uow)
        uow.audit(
            MediaAction.REGISTER_EXPORTED,
            resource="media:register",
            details={"items": len(made.inventory), "disposals": len(made.disposals)},
        )
    if html is not None:
        html.write_text(register.to_html(made))
        console.print(f"wrote {html}")
    if csv is not None:
        csv.write_text(register.to_csv(register.INVENTORY_HEADER, made.inventory))
        console.print(f"wrote {csv}")
    if disposals_csv is not None:
        disposals_csv.write_text(register.to_csv(register.DISPOSAL_HEADER, made.disposals))
        console.print(f"wrote {disposals_csv}")
