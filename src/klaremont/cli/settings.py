"""``klaremont settings``: every setting, its format and its current value (secrets masked)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from klaremont import settings_report
from klaremont.cli.context import console


def show(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="print the README's Settings table instead")
    ] = False,
) -> None:
    """List every KLAREMONT_* setting as an environment file: current value, format, default.

    Secrets show as ******** when set. The output can be kept as
    /etc/klaremont/klaremont.env and edited.
    """
    if markdown:
        console.print(escape(settings_report.markdown_table()), soft_wrap=True)
        return
    for row in settings_report.rows():
        origin = "set" if row.from_environment else "default"
        console.print(f"# {escape(row.description)}", soft_wrap=True, style="dim")
        console.print(
            f"#   format: {escape(row.format)}; example: {escape(row.example)}",
            soft_wrap=True,
            style="dim",
        )
        line = f"{row.name}={row.current}"
        if row.from_environment:
            console.print(f"{escape(line)}  [green]# {origin}[/]", soft_wrap=True)
        else:
            console.print(f"{escape(line)}  [dim]# {origin}[/]", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``klaremont settings`` to the root app."""
    app.command("settings")(show)
