"""``klaremont processors``: the processor register, the record of processing (Art. 30) and
the transfer guard's answer for a country."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from klaremont import transfers
from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.errors import ValidationFailed
from klaremont.processors import ropa, service, support, support_export, support_link
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.share import safeguard_of
from klaremont.transfers import MECHANISM_WORDS, Mechanism

app = typer.Typer(
    name="processors",
    help="Processor register, record of processing, transfer checks.",
    no_args_is_help=True,
)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.single(option, "a date such as 2026-03-02") from None


def _mechanism(value: str) -> Mechanism:
    try:
        return Mechanism(value)
    except ValueError:
        words = ", ".join(m.value for m in Mechanism)
        raise ValidationFailed.single("mechanism", f"one of {words}") from None


@app.command("list")
def list_command() -> None:
    """Every processor: country, mechanism, DPA and attestation expiry."""
    table = Table("Key", "Name", "Country", "Mechanism", "DPA expires", "AoC expires")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for p in service.processors(uow):
            table.add_row(
                p.key,
                p.name,
                p.country,
                MECHANISM_WORDS[p.mechanism],
                p.dpa_expires_on.isoformat() if p.dpa_expires_on else "",
                p.aoc_expires_on.isoformat() if p.card_data and p.aoc_expires_on else "",
            )
    console.print(table)


@app.command("add")
def add_command(
    key: Annotated[str, typer.Argument(help="short key, e.g. northgate-hosting")],
    name: Annotated[str, typer.Option(help="the organisation's name")],
    role: Annotated[str, typer.Option(help="what it does for Klaremont")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country")],
    categories: Annotated[str, typer.Option(help="data categories, comma-separated")],
    purposes: Annotated[str, typer.Option(help="purposes, comma-separated")],
    security: Annotated[str, typer.Option(help="its security measures")],
    mechanism: Annotated[str, typer.Option(help="transfer mechanism")] = "uk_adequacy",
    card_data: Annotated[bool, typer.Option(help="it receives card data")] = False,
    host: Annotated[str | None, typer.Option(help="the host data is sent to")] = None,
    dpa_signed_on: Annotated[str | None, typer.Option(help="DPA signed (YYYY-MM-DD)")] = None,
) -> None:
    """Add a processor to the register."""
    new = service.NewProcessor(
        key=key,
        name=name,
        role=role,
        country=country,
        categories=categories.split(","),
        purposes=purposes.split(","),
        security=security,
        mechanism=_mechanism(mechanism),
        card_data=card_data,
        host=host,
        dates={"dpa_signed_on": _date(dpa_signed_on, "dpa_signed_on")},
    )
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = service.add(uow, new)
        console.print(f"{made.key} added ({made.country}, {MECHANISM_WORDS[made.mechanism]})")


@app.command("dates")
def dates_command(
    key: Annotated[str, typer.Argument(help="the processor's key")],
    field: Annotated[list[str], typer.Option("--set", help="NAME=YYYY-MM-DD, repeatable")],
    mechanism: Annotated[str | None, typer.Option(help="a new transfer mechanism")] = None,
) -> None:
    """Record contract, DPA, safeguard, TRA or attestation dates."""
    dates: dict[str, date | None] = {}
    for pair in field:
        name, _, value = pair.partition("=")
        dates[name.strip()] = _date(value.strip(), name.strip())
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        service.record_dates(
            uow, key, dates, mechanism=_mechanism(mechanism) if mechanism else None
        )
    console.print(f"{key}: recorded {', '.join(sorted(dates))}")


@app.command("show")
def show_command(key: Annotated[str, typer.Argument(help="the processor's key")]) -> None:
    """One processor: every field and date, and the transfer guard's answer."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        p = service.find(uow, key)
        console.print(f"[bold]{p.name}[/bold] ({p.key}): {p.role}")
        console.print(f"country {p.country}; host {p.host or '-'}; card data {p.card_data}")
        console.print(f"categories {p.categories}; purposes {p.purposes}")
        for name in service.DATE_FIELDS:
            value = getattr(p, name)
            console.print(f"{service.DATE_WORDS[name]}: {value.isoformat() if value else '-'}")
        console.print(f"transfer: {ropa.transfer_words(uow, p, p.country)}")


@app.command("ropa")
def ropa_command(
    html: Annotated[Path | None, typer.Option("--html", help="write the HTML record here")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="write the CSV record here")] = None,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="write the JSON record here")
    ] = None,
) -> None:
    """The record of processing (UK GDPR Art. 30): a table, or written as HTML, CSV, JSON."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = ropa.record(uow)
        written = []
        for path, text in ((html, ropa.to_html), (csv, ropa.to_csv), (as_json, ropa.to_json)):
            if path is not None:
                path.write_text(text(made), encoding="utf-8")
                written.append(str(path))
        if written:
            uow.audit(ProcessorAction.RECORD_EXPORTED, resource="processors:ropa")
            console.print(
                f"record of processing ({len(made.rows)} systems) written: {', '.join(written)}"
            )
            return
    table = Table(*ropa.HEADER[:4], "Country", "Transfer")
    for row in made.rows:
        table.add_row(row["system"], row["run_by"], row["categories"], row["purposes"],
                      row["country"], row["transfer"])  # fmt: skip
    console.print(table)


@app.command("check-transfer")
def check_transfer_command(
    country: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 destination")],
    processor: Annotated[str | None, typer.Option(help="the recipient's key")] = None,
) -> None:
    """Would the transfer guard allow sending personal data there (to this processor)?"""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        code = transfers.check_country(country, "country")
        found = []
        if processor:
            safeguard = safeguard_of(service.find(uow, processor))
            found = [safeguard] if safeguard else []
        verdict = transfers.assess(uow.policy.transfers, code, uow.clock.now().date(), found)
    if verdict.allowed:
        console.print(json.dumps({"country": code, "allowed": True, "basis": verdict.basis}))
        return
    console.print(json.dumps({"country": code, "allowed": False, "missing": verdict.missing}))
    raise typer.Exit(1)


share_app = typer.Typer(
    name="share", help="Support shares with IT partners (PP-SUPPORT).", no_args_is_help=True
)


@share_app.command("open")
def open_command(
    ticket: Annotated[str, typer.Option(help="the support ticket's reference")],
    processor: Annotated[str, typer.Option(help="the support partner's key")],
    customer: Annotated[list[str], typer.Option(help="an account reference, repeatable")],
    field: Annotated[list[str], typer.Option(help="a field to share, repeatable")],
    reason: Annotated[str, typer.Option(help="why the partner needs it")],
    pseudonymised: Annotated[bool, typer.Option(help="a keyed pseudonym, no names")] = False,
) -> None:
    """Open a support share against a ticket."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = support.open_share(
            uow,
            ticket=ticket,
            processor=processor,
            customers=customer,
            fields=field,
            pseudonymised=pseudonymised,
            reason=reason,
        )
        console.print(f"{made.reference} opened for ticket {made.ticket} ({made.basis})")


@share_app.command("export")
def export_command(
    reference: Annotated[str, typer.Argument(help="the share's reference")],
    out: Annotated[Path, typer.Option("--out", help="write the partner's file here")],
    form: Annotated[str, typer.Option(help="json or csv")] = "json",
) -> None:
    """Write the partner's file (once; audited)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        _name, body = support_export.export(uow, reference, form)
        out.write_bytes(body)
    console.print(f"{reference}: partner's file written to {out}")


@share_app.command("resolve")
def resolve_command(
    reference: Annotated[str, typer.Argument(help="the share's reference")],
) -> None:
    """The ticket is resolved: set the deletion due date and mail the partner its link."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made, _path = support_link.resolve(uow, reference)
        console.print(
            f"{made.reference}: deletion due {made.due_on}; confirmation link mailed to the partner"
        )


@share_app.command("list")
def share_list_command() -> None:
    """Every support share with its state."""
    table = Table("Share", "Ticket", "Partner", "People", "Fields", "Delete by", "State")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        today = uow.clock.now().date()
        for s in support.listing(uow):
            table.add_row(
                s.reference,
                s.ticket,
                support.partner_of(uow, s).key,
                str(len([c for c in s.customers.split(",") if c])),
                s.fields.replace(",", ", ") + (" (pseudonymised)" if s.pseudonymised else ""),
                s.due_on.isoformat() if s.due_on else "",
                support.state_of(s, today).value,
            )
    console.print(table)


@share_app.command("show")
def share_show_command(
    reference: Annotated[str, typer.Argument(help="the share's reference")],
) -> None:
    """One share: ticket, partner, fields, dates and the confirmation."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        s = support.find(uow, reference)
        console.print(f"[bold]{s.reference}[/bold] ticket {s.ticket} -> "
                      f"{support.partner_of(uow, s).name}")  # fmt: skip
        console.print(f"people {len(s.customers.split(','))}; fields {s.fields}; "
                      f"pseudonymised {s.pseudonymised}")  # fmt: skip
        console.print(f"why: {s.reason}")
        console.print(f"opened {s.opened_at:%Y-%m-%d} by {s.opened_by}; "
                      f"file {s.exported_at or 'not downloaded'}")  # fmt: skip
        console.print(f"resolved {s.resolved_at or '-'}; delete by {s.due_on or '-'}")
        state = support.state_of(s, uow.clock.now().date()).value
        if s.confirmed_at:
            state += f" by {s.confirmed_by} ({s.confirmed_method}) on {s.confirmed_at:%Y-%m-%d}"
        console.print(f"state: {state}")


@share_app.command("contact")
def contact_command(
    processor: Annotated[str, typer.Argument(help="the processor's key")],
    address: Annotated[str, typer.Argument(help="where deletion-confirmation links go")],
) -> None:
    """Record the processor's contact address for deletion confirmations."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        support.set_contact(uow, processor, address)
    console.print(f"{processor}: contact address recorded")


app.add_typer(share_app)
