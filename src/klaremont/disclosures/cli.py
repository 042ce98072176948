"""``klaremont disclosures``: request, approve or refuse, export, list and show disclosures.

Approving and refusing are a director's: ``--as USERNAME`` names the staff account acting
(the service checks that it holds the director role and did not request the disclosure);
the operator's shell account is what vouches for that, as for every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from klaremont.audit.events import Actor, ActorType
from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.disclosures import export, service
from klaremont.errors import ValidationFailed
from klaremont.staff.lookup import find_account

app = typer.Typer(
    name="disclosures",
    help="Disclosures to third parties: request, director approval, one-time export.",
    no_args_is_help=True,
)

AsOption = Annotated[str | None, typer.Option("--as", help="act as this staff account (username)")]


def _actor(username: str | None) -> Actor:
    if username is None:
        return cli_actor()
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        account = find_account(uow, username)
        if account is None or account.status != "active":
            raise ValidationFailed.single("as", "no active staff account has that username")
        return Actor(ActorType.STAFF, str(account.id), account.username)


@app.command("request")
def request_command(
    recipient: Annotated[str, typer.Option(help="the recipient organisation's name")],
    kind: Annotated[str, typer.Option(help="police, court, company or regulator")],
    country: Annotated[str, typer.Option(help="the recipient's ISO 3166-1 alpha-2 country")],
    customer: Annotated[list[str], typer.Option(help="account reference or e-mail, repeatable")],
    categories: Annotated[str, typer.Option(help="data categories, comma-separated")],
    basis: Annotated[str, typer.Option(help="consent, court_order, statutory_obligation, ...")],
    basis_reference: Annotated[str, typer.Option(help="consent record, order ref or statute")],
    reason: Annotated[str, typer.Option(help="why the data is asked for")],
    contact: Annotated[str | None, typer.Option(help="recipient mailbox for Art. 19")] = None,
    as_user: AsOption = None,
) -> None:
    """Record a request to disclose (nothing leaves until a director approves)."""
    asked = service.NewDisclosure(
        recipient_name=recipient,
        recipient_kind=kind,
        recipient_country=country,
        customers=customer,
        categories=categories.split(","),
        basis_kind=basis,
        basis_reference=basis_reference,
        reason=reason,
        recipient_contact=contact,
    )
    with get_platform().unit_of_work(actor=_actor(as_user)) as uow:
        made = service.request(uow, asked)
        console.print(f"{made.reference} requested: waiting for a director's approval")


@app.command("approve")
def approve_command(
    reference: Annotated[str, typer.Argument(help="the disclosure, e.g. DX-2026-0001")],
    as_user: Annotated[str, typer.Option("--as", help="the approving director's username")],
    note: Annotated[str, typer.Option(help="the director's note")] = "",
) -> None:
    """A director approves (never their own request)."""
    with get_platform().unit_of_work(actor=_actor(as_user)) as uow:
        made = service.approve(uow, reference, note)
        console.print(f"{made.reference} approved by {made.decided_by_name}")


@app.command("refuse")
def refuse_command(
    reference: Annotated[str, typer.Argument(help="the disclosure")],
    as_user: Annotated[str, typer.Option("--as", help="the refusing director's username")],
    reason: Annotated[str, typer.Option(help="why it is refused")],
) -> None:
    """A director refuses, with the reason."""
    with get_platform().unit_of_work(actor=_actor(as_user)) as uow:
        made = service.refuse(uow, reference, reason)
        console.print(f"{made.reference} refused by {made.decided_by_name}")


@app.command("export")
def export_command(
    reference: Annotated[str, typer.Argument(help="the approved disclosure")],
    out: Annotated[Path, typer.Option(help="write the export (JSON) here")],
    as_user: AsOption = None,
) -> None:
    """Build the one-time export of an approved disclosure and write it to OUT."""
    if out.exists():
        raise ValidationFailed.single("out", "the file exists already; name a new file")
    with get_platform().unit_of_work(actor=_actor(as_user)) as uow:
        made = export.build(uow, reference)
        out.write_bytes(made.body)
    console.print(f"{made.reference}: {made.people} person(s) exported to {out}")


@app.command("list")
def list_command() -> None:
    """The register: reference, recipient, basis, state."""
    table = Table("Reference", "Recipient", "Kind", "Country", "Basis", "State", "Requested")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for d in service.disclosures(uow):
            table.add_row(
                d.reference,
                d.recipient_name,
                d.recipient_kind.value,
                d.recipient_country,
                d.basis_kind.value,
                d.state.value,
                d.requested_at.strftime("%Y-%m-%d"),
            )
    console.print(table)


@app.command("show")
def show_command(reference: Annotated[str, typer.Argument(help="the disclosure")]) -> None:
    """One disclosure: recipient, people, basis, decision and export."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        d = service.find(uow, reference)
        people = service.people(uow, d)
        kind = d.recipient_kind.value
        console.print(f"[bold]{d.reference}[/bold] to {d.recipient_name} ({kind}, "
                      f"{d.recipient_country}): {d.state.value}")  # fmt: skip
        console.print(f"basis: {d.basis_kind.value}: {d.basis_reference}")
        console.print(f"categories: {d.categories}; people: "
                      + ", ".join(p.customer_reference for p in people))  # fmt: skip
        console.print(f"reason: {d.reason}")
        console.print(f"requested by {d.requested_by_name} at {d.requested_at:%Y-%m-%d %H:%M}")
        if d.decided_at:
            console.print(f"decided by {d.decided_by_name} at {d.decided_at:%Y-%m-%d %H:%M}: "
                          f"{d.decision_note}")  # fmt: skip
        if d.exported_at:
            console.print(f"exported by {d.exported_by_name} at {d.exported_at:%Y-%m-%d %H:%M} "
                          f"(sha256 {d.export_digest}); transfer: {d.transfer_basis}")  # fmt: skip
