"""``klaremont privacy``: upkeep of the privacy centre (run from a scheduler).

Prints counts only: the throttle rows hold keyed hashes, never an address.
"""

from __future__ import annotations

import typer

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.privacy import throttle

app = typer.Typer(
    name="privacy", help="Privacy centre upkeep: sign-in throttle rows.", no_args_is_help=True
)


@app.command("prune-throttle")
def prune_throttle() -> None:
    """Delete sign-in throttle rows whose window and pause are over (daily)."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        removed = throttle.prune(uow)
    console.print(f"removed {removed} expired sign-in throttle row(s)")
