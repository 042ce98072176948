"""``klaremont incidents``: report an incident, list and show them, check the action logs.

The operator at the shell has the ISO's reach (as every ``klaremont`` command does); what
they do is audited under their operating-system user name. Commands print references,
states and times, never a row id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy import select

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.errors import ValidationFailed
from klaremont.incidents import clocks, deadlines, log, read, service
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.models import Incident
from klaremont.incidents.states import IncidentKind, IncidentState, Involvement
from klaremont.incidents.visibility import Viewer

app = typer.Typer(
    name="incidents",
    help="Security incidents: report one to the ISO, list, show, check the action logs.",
    no_args_is_help=True,
)
E = TypeVar("E", bound=StrEnum)
KINDS = ", ".join(k.value for k in IncidentKind)
INVOLVEMENT = ", ".join(i.value for i in Involvement)


def _enum(value: str, enum: type[E], option: str) -> E:
    try:
        return enum(value)
    except ValueError:
        words = ", ".join(member.value for member in enum)
        raise ValidationFailed.single(option, f"one of {words}") from None


@app.command()
def report(
    what: Annotated[str, typer.Option("--what", help="what happened, in plain words")],
    kind: Annotated[str, typer.Option(help=f"one of {KINDS}")] = "other",
    personal_data: Annotated[
        str, typer.Option(help=f"may personal data be involved: {INVOLVEMENT}")
    ] = "unsure",
    card_data: Annotated[
        str, typer.Option(help=f"may card data be involved: {INVOLVEMENT}")
    ] = "unsure",
    systems: Annotated[str | None, typer.Option(help="systems, records or media affected")] = None,
    noticed: Annotated[
        str | None, typer.Option(help="when it was noticed, UK time: 2026-03-02T09:30")
    ] = None,
) -> None:
    """Report a suspected incident: the ISO is alerted at once and the 72-hour clock starts."""
    noticed_at = None
    if noticed:
        try:
            noticed_at = clocks.from_uk_local(noticed)
        except ValueError as bad:
            raise ValidationFailed.single("--noticed", str(bad)) from None
    new = service.NewReport(
        kind=_enum(kind, IncidentKind, "--kind"),
        what_happened=what,
        personal_data=_enum(personal_data, Involvement, "--personal-data"),
        card_data=_enum(card_data, Involvement, "--card-data"),
        noticed_at=noticed_at,
        systems=systems,
    )
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = service.report(uow, new)
        hours = uow.policy.breach.notify_authority_hours
        line = (
            f"{made.reference}: reported; the ISO was alerted "
            f"({made.iso_alert_messages} message(s)). ICO deadline "
            f"{clocks.uk_when(clocks.ico_deadline(made.aware_at, hours))}."
        )
    console.print(line)


@app.command("list")
def list_command(
    state: Annotated[str | None, typer.Option(help="only incidents in this state")] = None,
) -> None:
    """Every incident, newest first, with its state and deadlines."""
    wanted = _enum(state, IncidentState, "--state") if state else None
    table = Table(title="Security incidents (UK times)")
    for column in ("reference", "reported", "what", "state", "deadlines"):
        table.add_column(column)
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for incident in service.visible(uow, Viewer.operator(), state=wanted):
            row = read.row_of(uow, incident)
            table.add_row(
                row.reference,
                clocks.uk_when(row.reported_at),
                row.kind_words,
                row.state_words,
                "; ".join(row.overdue) or row.next_due,
            )
    console.print(table)


@app.command()
def show(reference: Annotated[str, typer.Argument(help="e.g. INC-2026-0001")]) -> None:
    """One incident: the tracker, the team and the action log."""
    viewer = Viewer.operator()
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        case = read.case_of(uow, viewer, service.find(uow, viewer, reference))
    row = case.row
    aware = clocks.uk_when(case.aware_at)
    console.print(f"{row.reference}: {row.kind_words}; {row.state_words}; aware since {aware}")
    for notice in case.notifications:
        due = f"(deadline {notice.due_words}) {notice.left_words}"
        console.print(f"  {notice.words}: {notice.decision_words} {due}")
    for seat in case.team:
        console.print(f"  {seat.seat_words}: {seat.username or 'nobody yet'}")
    for entry in case.log:
        when = clocks.uk_when(entry.recorded_at)
        console.print(f"  #{entry.number} {when} {entry.kind_words} {entry.actor}: {entry.text}")


@app.command()
def verify() -> None:
    """Check every action-log entry against its digest and its audit event (exit 1 if not)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        incidents = {i.id: i.reference for i in uow.session.scalars(select(Incident))}
        checked, broken = log.verify(uow, incidents)
        uow.audit(
            IncidentAction.LOG_VERIFIED,
            resource="incident/*",
            details={
                "checked": checked,
                "broken": [f"{incidents[b.incident_id]}#{b.number}" for b in broken],
            },
        )
    for found in broken:
        console.print(f"BROKEN: {incidents[found.incident_id]} entry {found.number}: {found.why}")
    if broken:
        raise typer.Exit(1)
    console.print(f"OK: {checked} action-log entries match the audit log")


@app.command("deadlines")
def deadlines_command() -> None:
    """Raise the notification warnings and escalations due now (the scheduled job, by hand)."""
    console.print(deadlines.run(get_platform()))
