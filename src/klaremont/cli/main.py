"""The ``klaremont`` command."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from klaremont import capabilities, settings_report
from klaremont.cli import server, settings
from klaremont.cli.card_guard import CardGuardedGroup
from klaremont.cli.context import err_console
from klaremont.errors import KlaremontError
from klaremont.inputfiles import file_problem

app = typer.Typer(
    name="klaremont",
    cls=CardGuardedGroup,  # no argument may carry card data (IS-SENS-MASK)
    help="Klaremont privacy, data-protection and security platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_subcommands() -> None:
    """The platform's own commands (serve, db, demo), then each capability's group."""
    server.register(app)
    settings.register(app)
    groups: dict[str, typer.Typer] = {}
    for declared in capabilities.capabilities():
        if declared.cli is None:
            continue
        group = capabilities.resolve(declared.cli)
        if not isinstance(group, typer.Typer):
            msg = f"capability {declared.name!r}: {declared.cli} is not a Typer app"
            raise TypeError(msg)
        app.add_typer(group)
        groups[group.info.name or declared.name] = group
    # A capability may add commands to another's group (extension point ``cli:<group>``).
    for name, group in groups.items():
        for register in capabilities.extensions(f"cli:{name}"):
            register(group)


_register_subcommands()


def _wants_help(argv: list[str]) -> bool:
    return len(argv) <= 1 or any(arg in {"--help", "-h"} for arg in argv[1:])


def main() -> None:
    """Entry point: domain errors become one readable line each and exit status 2.

    Every command first checks the environment's ``KLAREMONT_*`` variables (values and
    names), so a bad or misspelt setting is reported before any work starts.
    """
    try:
        if not _wants_help(sys.argv):
            settings_report.check_environment()
        app()
    except KlaremontError as exc:
        for line in exc.detail.splitlines():
            err_console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
        sys.exit(2)
    except OSError as exc:  # a file named on the command line (a report to write, ...)
        if exc.filename is None:
            raise
        err_console.print(f"[bold red]error:[/] {escape(file_problem(exc))}", soft_wrap=True)
        sys.exit(2)
