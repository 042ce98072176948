"""The ``klaremont`` command."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from klaremont import cli
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

_CORE = {"main", "context", "card_guard", "__init__"}


def _register_subcommands() -> None:
    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda i: i.name):
        if info.name in _CORE:
            continue
        module = importlib.import_module(f"{cli.__name__}.{info.name}")
        sub = getattr(module, "app", None)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub)
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_subcommands()


def main() -> None:
    """Entry point: domain errors become one readable line and exit status 2."""
    try:
        app()
    except KlaremontError as exc:
        err_console.print(f"[bold red]error:[/] {exc.detail}")
        sys.exit(2)
