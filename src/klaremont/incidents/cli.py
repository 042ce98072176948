"""``klaremont incidents``: report an incident, list and show them, check the action logs.

The operator at the shell has the ISO's reach (as every ``klaremont`` command does); what
they do is audited under their operating-system user name. Commands print references,
states and times, never a row id.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from klaremont import inputfiles as files
from klaremont.audit.events import Outcome
from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.errors import ValidationFailed
from klaremont.incidents import (
    casefile_read,
    clocks,
    deadlines,
    evidence,
    integrity,
    read,
    reports,
    service,
    timeline,
)
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.casefile_models import CustodyHandling
from klaremont.incidents.states import IncidentKind, IncidentState, Involvement
from klaremont.incidents.visibility import Viewer

app = typer.Typer(
    name="incidents",
    help=(
        "Security incidents: report one to the ISO, list, show, verify the records; "
        "evidence, written reports, the printable timeline."
    ),
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
    exercise: Annotated[
        bool, typer.Option("--exercise", help="a test of the response plan (PCI DSS 12.10.2)")
    ] = False,
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
        exercise=exercise,
    )
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        made = service.report(uow, new, Viewer.operator())
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
def verify(
    why: Annotated[
        str, typer.Option(help="recorded on each evidence file's chain of custody")
    ] = integrity.DEFAULT_WHY,
) -> None:
    """Check every action-log entry, evidence file (decrypted and re-hashed), custody entry and
    member report against its digest and its audit event (exit 1 if anything broke)."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        found = integrity.verify_all(uow, why)
        uow.audit(
            IncidentAction.LOG_VERIFIED,
            Outcome.SUCCESS if found.ok else Outcome.FAILURE,
            resource="incident/*",
            details={
                "checked": found.entries,
                "evidence_files": found.files,
                "custody_entries": found.custody_entries,
                "report_entries": found.report_entries,
                "broken": len(found.broken),
            },
        )
    for line in found.lines():
        console.print(line, soft_wrap=True, markup=False)
    if not found.ok:
        raise typer.Exit(1)


@app.command("deadlines")
def deadlines_command() -> None:
    """Raise the notification warnings and escalations due now (the scheduled job, by hand)."""
    console.print(deadlines.run(get_platform()))


# ----------------------------------------------------------------- the case file (phase 2)
evidence_app = typer.Typer(
    name="evidence",
    help="Evidence files: take one in (encrypted, hashed), list, export a copy.",
    no_args_is_help=True,
)
app.add_typer(evidence_app)
Reference = Annotated[str, typer.Argument(help="e.g. INC-2026-0001")]
Why = Annotated[str, typer.Option("--why", help="why, in plain words (on the chain of custody)")]


@evidence_app.command("add")
def evidence_add(
    reference: Reference,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    why: Why,
) -> None:
    """Take FILE in as evidence: sealed under its own key, SHA-256 recorded, custody begun."""
    viewer = Viewer.operator()
    with (
        get_platform().unit_of_work(actor=cli_actor()) as uow,
        file.open("rb") as source,
    ):
        incident = service.find(uow, viewer, reference)
        item = evidence.add(uow, viewer, incident, source, file.name, why)
        line = (
            f"{incident.reference} evidence {item.number}: {item.original_name} "
            f"({evidence.size_words(item.size)}), SHA-256 {item.sha256}"
        )
    console.print(line, soft_wrap=True, markup=False)


@evidence_app.command("list")
def evidence_list(reference: Reference) -> None:
    """The incident's evidence files with their SHA-256 and chain of custody."""
    viewer = Viewer.operator()
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        views = casefile_read.manifest(uow, service.find(uow, viewer, reference))
    for view in views:
        console.print(
            f"{view.number}. {view.name} ({view.size_words}) SHA-256 {view.sha256}",
            soft_wrap=True,
            markup=False,
        )
        for entry in view.custody:
            finding = f" {entry.finding_words}" if entry.finding else ""
            console.print(
                f"   {entry.number}. {clocks.uk_short(entry.at)} {entry.handling_words}{finding} "
                f"by {entry.actor}: {entry.why}",
                soft_wrap=True,
                markup=False,
            )
    if not views:
        console.print("No evidence files.")


@evidence_app.command("export")
def evidence_export(
    reference: Reference,
    number: Annotated[
        int, typer.Argument(min=1, max=1_000_000, help="the file's number in the case")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="where to write the copy (new file)")],
    why: Why,
) -> None:
    """Write a decrypted copy of evidence file NUMBER (checked first; recorded as exported)."""
    viewer = Viewer.operator()
    if out.exists():
        raise ValidationFailed.single("--out", "must name a file that does not exist yet")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        incident = service.find(uow, viewer, reference)
        released = evidence.release(uow, viewer, incident, number, why, CustodyHandling.EXPORTED)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as target:
        for chunk in released.chunks():
            target.write(chunk)
    console.print(f"Wrote {out} ({evidence.size_words(released.size)}), SHA-256 {released.sha256}")


reports_app = typer.Typer(
    name="member-reports",
    help="The team members' written reports: read them, enter one, append an amendment.",
    no_args_is_help=True,
)
app.add_typer(reports_app)
Member = Annotated[str, typer.Option("--member", help="whose report (their username)")]
TextFile = Annotated[
    Path, typer.Option("--file", exists=True, dir_okay=False, help="the report, plain UTF-8 text")
]


@reports_app.command("list")
def reports_list(reference: Reference) -> None:
    """Every member's report with its amendments (the reading is audited)."""
    viewer = Viewer.operator()
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        view = reports.read(uow, viewer, service.find(uow, viewer, reference))
    for seat in view.seats:
        state = (
            f"submitted {clocks.uk_short(seat.submitted_at)}" if seat.submitted_at else "MISSING"
        )
        console.print(
            f"{seat.seat_words}: {seat.full_name} ({seat.username}): {state}",
            soft_wrap=True,
            markup=False,
        )
        for entry in seat.entries:
            title = f"Amendment {entry.number - 1}" if entry.is_amendment else "Report"
            console.print(
                f"--- {title}, entered by {entry.entered_by} ---\n{entry.text}",
                soft_wrap=True,
                markup=False,
            )


@reports_app.command("add")
def reports_add(reference: Reference, member: Member, file: TextFile) -> None:
    """Enter MEMBER's written report (a paper report transcribed; recorded as entered by you)."""
    text = files.read_text(file, "--file")
    viewer = Viewer.operator()
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        incident = service.find(uow, viewer, reference)
        reports.submit(uow, viewer, incident, text, member=member)
        line = f"{incident.reference}: the written report of {member} is in."
    console.print(line)


@reports_app.command("amend")
def reports_amend(reference: Reference, member: Member, file: TextFile) -> None:
    """Append an amendment to MEMBER's report (the report itself never changes)."""
    text = files.read_text(file, "--file")
    viewer = Viewer.operator()
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        incident = service.find(uow, viewer, reference)
        row = reports.amend(uow, viewer, incident, text, member=member)
        line = f"{incident.reference}: amendment {row.number - 1} to the report of {member} added."
    console.print(line)


@app.command("report-html")
def report_html(
    reference: Reference,
    out: Annotated[Path, typer.Option("--out", "-o", help="the HTML file to write")],
) -> None:
    """The printable timeline report of one incident as a self-contained HTML file."""
    viewer = Viewer.operator()
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        found = timeline.build(uow, viewer, service.find(uow, viewer, reference), via="cli")
    out.write_text(timeline.to_html(found), encoding="utf-8")
    console.print(f"Wrote {out}")
