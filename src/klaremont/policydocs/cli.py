"""``klaremont policydocs``: publish policy versions, read them, record section reviews and
list who is overdue (DP-GUIDE, DP-AWARE, DP-REVIEW).

The operator at the shell acts with the DPO's and the ISO's reach (as every ``klaremont``
command does); ``--by`` names the person publishing or reviewing, recorded with the version
or the review and in the audit log beside the operator's user name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.display import uk_date
from klaremont.errors import ValidationFailed
from klaremont.policydocs import library, overdue, service

app = typer.Typer(
    name="policydocs",
    help="Policy documents: versions, acknowledgements and section reviews.",
    no_args_is_help=True,
)

By = Annotated[str, typer.Option("--by", help="who publishes or reviews (a person's name)")]


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.single(option, "must be a date such as 2026-03-02") from None


@app.command("publish")
def publish(
    document: Annotated[str, typer.Argument(help="PP, DP, IS, SP, or all")],
    version: Annotated[str, typer.Option("--version", help="the version label, e.g. 2026.1")],
    by: By,
    effective: Annotated[
        str | None, typer.Option(help="the day it takes effect (default today)")
    ] = None,
) -> None:
    """Record a new version of a document (the text the platform ships)."""
    keys = library.DOCUMENT_KEYS if document.strip().lower() == "all" else (document,)
    on = _date(effective, "--effective")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        done = [service.publish(uow, key, version, by=by, effective_on=on) for key in keys]
    for one in done:
        console.print(
            f"published {one.document} version {one.label} (sha256 {one.content_hash[:16]}...,"
            f" {one.new_sections} new section(s))"
        )


@app.command("list")
def list_command() -> None:
    """Every version of every document; the one in force is marked."""
    table = Table(title="Policy document versions")
    for column in ("document", "version", "effective", "published by", "sha256", "in force"):
        table.add_column(column, overflow="fold")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        now = service.current_all(uow)
        for v in service.versions(uow):
            live = now.get(v.document)
            table.add_row(
                f"{v.document} {v.title}",
                v.label,
                uk_date(v.effective_on),
                v.published_by,
                v.content_hash[:16],
                "yes" if live is not None and live.id == v.id else "",
            )
    console.print(table)


@app.command("show")
def show(
    document: Annotated[str, typer.Argument(help="PP, DP, IS or SP")],
    version: Annotated[str | None, typer.Option(help="a version label (default: in force)")] = None,
) -> None:
    """A version's text, section by section."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        key = service.document_key(document)
        found = service.get_version(uow, key, version) if version else service.current(uow, key)
        if found is None:
            raise ValidationFailed.single("document", "has no version in force; publish one")
        doc = service.version_document(found)
        console.print(f"{doc.title}, version {found.label}, in force from "
                      f"{uk_date(found.effective_on)}\n", markup=False)  # fmt: skip
        for section in doc.sections:
            console.print(f"{section.number} {section.heading}", style="bold", markup=False)
            console.print(section.text + "\n", markup=False)


@app.command("sections")
def sections() -> None:
    """The section register: owner, last review, next review."""
    table = Table(title="Policy sections")
    for column in ("section", "heading", "owner", "last reviewed", "next review"):
        table.add_column(column, overflow="fold")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for s in service.sections(uow):
            last = (
                f"{uk_date(s.last_reviewed_on)} by {s.last_reviewed_by}"
                if s.last_reviewed_on
                else "never"
            )
            table.add_row(s.number, s.heading, s.owner_role, last, uk_date(s.next_review_on))
    console.print(table)


@app.command("review")
def review(
    section: Annotated[str, typer.Argument(help="the section number, e.g. DP.1")],
    by: By,
    on: Annotated[str | None, typer.Option("--on", help="the day reviewed (default today)")] = None,
    note: Annotated[str, typer.Option(help="what the review found or changed")] = "",
) -> None:
    """Record a review of a section; its next review falls one interval later."""
    day = _date(on, "--on")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        row = service.record_review(uow, section, by=by, reviewed_on=day, note=note)
        console.print(
            f"review of {row.number} recorded; next review due {uk_date(row.next_review_on)}"
        )


@app.command("overdue")
def overdue_command() -> None:
    """Who is overdue acknowledging a policy, and which sections are overdue for review."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        late = overdue.overdue_acknowledgements(uow)
        reviews = overdue.overdue_reviews(uow)
        for o in late:
            console.print(
                f"acknowledgement: {o.username} - {o.title} {o.label} (due {uk_date(o.due_on)})",
                markup=False,
            )
        for s in reviews:
            console.print(
                f"review: {s.number} {s.heading} - {s.owner_role} (due "
                f"{uk_date(s.next_review_on)})",
                markup=False,
            )
        if not late and not reviews:
            console.print("nobody overdue; no section overdue for review")
