"""The ``klaremont`` command."""

from __future__ import annotations

import sys

import typer

from klaremont import capabilities
from klaremont.cli import server
from klaremont.cli.card_guard import CardGuardedGroup
from klaremont.cli.context import err_console
from klaremont.errors import KlaremontError

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


def main() -> None:
    """Entry point: domain errors become one readable line and exit status 2."""
    try:
        app()
    except KlaremontError as exc:
        err_console.print(f"[bold red]error:[/] {exc.detail}")
        sys.exit(2)
