"""``klaremont consent``: privacy notices, a person's consent history, marketing audience sizes.

Prints pseudonymous subject ids, channels, counts and notice hashes: never a personal value.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import typer
from rich.table import Table

from klaremont import inputfiles as files
from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.consent.audience import audience_size
from klaremont.consent.notices import PRIVACY_NOTICE, list_notices, publish_notice
from klaremont.consent.reads import read_subject_consent
from klaremont.customers.access import Access
from klaremont.errors import NotFound, ValidationFailed
from klaremont.policy.purposes import MarketingChannel, Purpose

app = typer.Typer(
    name="consent",
    help="Privacy notices, consent history and marketing audiences.",
    no_args_is_help=True,
)
notice_app = typer.Typer(name="notice", help="Versioned privacy notices.", no_args_is_help=True)
app.add_typer(notice_app)


@notice_app.command("publish")
def notice_publish(
    text_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="UTF-8 notice text"),
    key: str = typer.Option(PRIVACY_NOTICE, help="which notice (default: the privacy notice)"),
) -> None:
    """Publish a new version of a notice from a text file."""
    text = files.read_text(text_file, "TEXT_FILE")
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        row = publish_notice(uow, text, notice_key=key)
        console.print(f"published {row.notice_key} version {row.version} sha256 {row.text_sha256}")


@notice_app.command("list")
def notice_list(key: str | None = typer.Option(None, help="only this notice")) -> None:
    """Every published version, oldest first."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        rows = list_notices(uow.session, key)
        table = Table("notice", "version", "published (UTC)", "sha256", "by", title="Notices")
        for row in rows:
            table.add_row(
                row.notice_key,
                str(row.version),
                row.published_at.strftime("%Y-%m-%d %H:%M"),
                row.text_sha256[:16] + "…",
                row.published_by,
            )
    console.print(table)


@app.command("history")
def history(
    subject_id: str = typer.Argument(..., help="the data subject's id (a UUID)"),
    purpose: Purpose = typer.Option(
        Purpose.LEGAL_OBLIGATION, "--purpose", "-p", help="why the data is read"
    ),
) -> None:
    """A person's current marketing choices and full consent history, newest first."""
    try:
        subject = uuid.UUID(subject_id)
    except ValueError:
        raise ValidationFailed.single("subject_id", "must be a UUID") from None
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        read = read_subject_consent(uow, subject, Access(purpose))
    entries, state = read.history or [], read.marketing
    if not entries and not any(state.values()):
        raise NotFound("no consent records for that subject")
    now = ", ".join(f"{ch.value}={'yes' if on else 'no'}" for ch, on in state.items())
    console.print(f"marketing now: {now}")
    table = Table("when (UTC)", "kind", "item", "choice", "method", "source", "notice", "by")
    for e in entries:
        table.add_row(
            e.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            e.kind,
            e.item,
            "yes" if e.granted else "no",
            e.method,
            e.source,
            f"{e.notice_key} v{e.notice_version}",
            e.recorded_by,
        )
    console.print(table)


@app.command("audience")
def audience(
    channel: list[MarketingChannel] | None = typer.Option(
        None, "--channel", help="channels to count (default: all)"
    ),
) -> None:
    """How many people may be sent marketing on each channel right now."""
    wanted = channel or list(MarketingChannel)
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        table = Table("channel", "audience", title="Marketing audience")
        for ch in wanted:
            table.add_row(ch.value, str(audience_size(uow.session, ch)))
    console.print(table)
