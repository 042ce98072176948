"""``klaremont scan``: find card data, secrets and personal data where they must not be.

``klaremont scan run PATH|URL...`` scans files, directory trees, SQLite files and PostgreSQL
databases; ``--self`` scans Klaremont's own data. The terminal shows a progress bar with
MB/s, then the counts and the findings (masked); ``--json``, ``--sarif`` and ``--html``
write reports. The exit status is 1 when findings remain that the allow-list does not
accept (published test card numbers apart), so a CI job can gate on it; 2 for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from klaremont.cli.context import cli_actor, console, err_console, get_platform
from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.kinds import Group, Kind
from klaremont.display import uk_datetime
from klaremont.errors import ValidationFailed
from klaremont.scan import allowlist, apart, engine, reports, service
from klaremont.scan.findings import ScanResult
from klaremont.scan.models import STATUS_WORDS
from klaremont.scan.selfscan import SELF_KINDS, SELF_LABEL, self_targets

app = typer.Typer(
    name="scan",
    help="Find card data, secrets and personal data in files and databases.",
    no_args_is_help=True,
)

_WORDS = ", ".join([g.value for g in Group] + [k.value for k in Kind])


def parse_detect(text: str) -> frozenset[Kind]:
    """``cards,personal`` or kind names (``card-number,email``) as a set of kinds."""
    kinds: set[Kind] = set()
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        if word in {g.value for g in Group}:
            kinds |= kinds_of([Group(word)])
        elif word in {k.value for k in Kind}:
            kinds.add(Kind(word))
            if word == Kind.CARD.value:
                kinds.add(Kind.TEST_CARD)
        else:
            raise ValidationFailed.single("--detect", f"{word!r} is not one of {_WORDS}")
    if not kinds:
        raise ValidationFailed.single("--detect", f"must name at least one of {_WORDS}")
    return frozenset(kinds)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def _write_reports(
    result: ScanResult,
    *,
    json_file: Path | None,
    sarif_file: Path | None,
    html_file: Path | None,
) -> None:
    """Write each report asked for."""
    _write(json_file, reports.to_json, result, "JSON")
    _write(sarif_file, reports.to_sarif, result, "SARIF")
    _write(html_file, reports.to_html, result, "HTML")


def _write(
    path: Path | None, render: Callable[[ScanResult], str], result: ScanResult, what: str
) -> None:
    if path is None:
        return
    path.write_text(render(result), encoding="utf-8")
    console.print(f"{what} report written to {path}")


@app.command("run")
def run_scan(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Files, directories, SQLite files or postgresql:// URLs."),
    ] = None,
    self_scan: Annotated[bool, typer.Option("--self", help="Scan Klaremont's own data.")] = False,
    detect: Annotated[
        str, typer.Option(help=f"What to look for: {_WORDS}.")
    ] = "cards,secrets,personal",
    jobs: Annotated[int, typer.Option(min=1, max=64, help="Worker processes for large files.")] = 1,
    sample: Annotated[
        float | None,
        typer.Option(min=0.0, max=100.0, help="Percent of each PostgreSQL table to read."),
    ] = None,
    allow: Annotated[
        Path | None, typer.Option(help="Allow-list file (TOML) of accepted findings.")
    ] = None,
    detail: Annotated[
        int,
        typer.Option(
            min=0, max=10_000, help="Personal-data findings listed per place (all are counted)."
        ),
    ] = 50,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON report here.")
    ] = None,
    sarif_file: Annotated[
        Path | None, typer.Option("--sarif", help="Write a SARIF report here.")
    ] = None,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report here.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar or findings table.")] = False,
    record: Annotated[
        bool | None,
        typer.Option(
            "--record/--no-record",
            help="Keep the run in the platform (console and API show it); default: with --self.",
        ),
    ] = None,
    incident: Annotated[
        bool, typer.Option(help="Raise an incident when card data is found (needs --record).")
    ] = False,
) -> None:
    """Scan files and databases; exit status 1 when findings remain."""
    keep = self_scan if record is None else record
    if incident and not keep:
        raise ValidationFailed.single("--incident", "needs the run to be recorded (--record)")
    chosen = list(targets or [])
    label = ", ".join(chosen)
    kinds = parse_detect(detect)
    if self_scan:
        chosen += self_targets(get_platform().settings)
        label = SELF_LABEL if not targets else f"{SELF_LABEL}, {label}"
        kinds = kinds if detect != "cards,secrets,personal" else SELF_KINDS
    if not chosen:
        raise ValidationFailed.single(
            "targets", "name at least one file, directory or URL, or --self"
        )
    accepted = allowlist.load(allow, datetime.now(UTC).date()) if allow is not None else None
    request = engine.ScanRequest(
        tuple(chosen), kinds, label=label, jobs=jobs, sample=sample, detail=detail, allow=accepted
    )
    if quiet:
        result = apart.run_apart(request)
    else:
        with _progress() as progress:
            result = apart.run_apart(request, progress)
    _write_reports(result, json_file=json_file, sarif_file=sarif_file, html_file=html_file)
    for problem in result.problems:
        err_console.print(f"[yellow]warning:[/yellow] {problem}")
    if keep:
        with get_platform().unit_of_work(actor=cli_actor()) as uow:
            reference = service.record(uow, result, raise_incident=incident)
            run = service.get(uow, reference)
            raised = run.incident
        console.print(f"Recorded as {reference}" + (f"; incident: {raised}" if raised else ""))
    if not quiet:
        console.print(reports.counts_table(result))
        if result.findings:
            console.print(reports.table(result))
    mb = result.bytes / 1e6
    left = sum(result.counts().values())
    unread = f"; {len(result.problems)} place(s) could not be read" if result.problems else ""
    verdict = "clean" if result.clean else f"{left:,} findings remain{unread}"
    speed = result.megabytes_per_second
    console.print(f"{mb:,.1f} MB in {result.seconds:.2f} s ({speed:,.0f} MB/s): {verdict}")
    if not result.clean:
        raise typer.Exit(1)


@app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many runs, newest first.")] = 20,
) -> None:
    """Recorded scans, newest first."""
    view = Table(title="Recorded scans", title_justify="left")
    for name in ("Reference", "Finished", "What", "Result", "Found"):
        view.add_column(name)
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        for run in service.list_runs(uow, limit=limit):
            found = ", ".join(f"{k.label} {n:,}" for k, n in service.counts(run).items())
            view.add_row(
                run.reference,
                uk_datetime(run.finished_at),
                run.label,
                STATUS_WORDS[run.status],
                found or "nothing",
            )
    console.print(view)


@app.command("show")
def show_run(
    reference: Annotated[str, typer.Argument(help="The scan's reference, e.g. SC-2026-0001.")],
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON report here.")
    ] = None,
    sarif_file: Annotated[
        Path | None, typer.Option("--sarif", help="Write a SARIF report here.")
    ] = None,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report here.")
    ] = None,
) -> None:
    """A recorded scan: its counts and findings (masked), and its reports."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        run = service.get(uow, reference)
        result = service.report(uow, run)
        title = f"{run.reference}: {run.label} ({STATUS_WORDS[run.status]})"
        incident = run.incident
    console.print(title)
    if incident:
        console.print(f"Incident: {incident}")
    _write_reports(result, json_file=json_file, sarif_file=sarif_file, html_file=html_file)
    console.print(reports.counts_table(result))
    if result.findings:
        console.print(reports.table(result))
