"""``klaremont compliance``: run the live checks into the history, write and verify the
evidence pack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from klaremont import inputfiles as files
from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.compliance import evidence, history

app = typer.Typer(
    name="compliance",
    help="The compliance view: live-status history and the evidence pack for an auditor.",
    no_args_is_help=True,
)


@app.command("check")
def check_command() -> None:
    """Run every live check now and record each clause whose status changed."""
    console.print(history.check_all(get_platform()))


@app.command("evidence")
def evidence_command(
    out: Annotated[Path, typer.Argument(help="the zip file to write")],
) -> None:
    """Write the evidence pack: the trace, the registers and a signed manifest."""
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        pack = evidence.build_pack(uow)
    out.write_bytes(pack.content)
    console.print(f"wrote {out}: {len(pack.files)} files and a signed manifest")
    for where in pack.failed:
        console.print(f"  not included (could not be read): {where}")


@app.command("verify")
def verify_command(
    pack: Annotated[Path, typer.Argument(help="the evidence pack to verify")],
) -> None:
    """Check an evidence pack's signature and every file's SHA-256; exit 1 naming each problem."""
    problems = evidence.verify_pack(
        files.read_bytes(pack, "pack"), get_platform().audit.trusted_keys
    )
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1)
    console.print(f"{pack}: the manifest's signature and every file's SHA-256 verify")
