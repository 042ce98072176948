"""``klaremont keys``: key-encryption keys (KEKs) and the subjects' data keys.

Prints ids and counts only; no command ever prints key material. Rotation and retirement
are recorded in the audit log (``keys.rotate``, ``keys.retire``), refusals included.
"""

from __future__ import annotations

import re
import stat
from typing import TYPE_CHECKING, Final

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from klaremont.audit.events import ActionTag, Outcome
from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.crypto.actions import KeyAction
from klaremont.crypto.errors import KeyRetirementRefused
from klaremont.errors import KlaremontError, ValidationFailed

if TYPE_CHECKING:
    from rich.console import Console

    from klaremont.crypto.keystore import Keystore
    from klaremont.platform import Platform

#: how key ids look (kek-20261124-1a2b, kek-env-0a1b2c3d): anything else names no key
KEK_ID: Final = re.compile(r"kek-[a-z0-9][a-z0-9-]{0,59}")

app = typer.Typer(
    name="keys",
    help="Key-encryption keys and per-subject data keys: status, rotation, retirement.",
    no_args_is_help=True,
)


@app.command()
def status() -> None:
    """Show the active KEK, every KEK with the data keys it wraps, and destroyed subjects."""
    show_status(get_platform().keystore, console)


@app.command()
def rotate() -> None:
    """Add a new KEK, make it active and re-wrap every data key under it."""
    platform = get_platform()
    try:
        kek_id, count = rotate_keks(platform.keystore, console)
    except KlaremontError as exc:
        _audit(platform, KeyAction.KEYS_ROTATE, Outcome.FAILURE, None, {"error": exc.code})
        raise
    _audit(platform, KeyAction.KEYS_ROTATE, Outcome.SUCCESS, kek_id, {"rewrapped": count})


@app.command()
def retire(
    kek_id: str = typer.Argument(..., help="id of the KEK to remove, e.g. kek-20261124-1a2b"),
) -> None:
    """Remove a KEK that is no longer active and wraps no data keys."""
    if not KEK_ID.fullmatch(kek_id):
        raise ValidationFailed.single(
            "KEK_ID", "a key id as `klaremont keys status` shows it, e.g. kek-20261124-1a2b"
        )
    platform = get_platform()
    try:
        retire_kek(platform.keystore, kek_id, console)
    except KlaremontError as exc:
        outcome = Outcome.DENIED if isinstance(exc, KeyRetirementRefused) else Outcome.FAILURE
        _audit(platform, KeyAction.KEYS_RETIRE, outcome, kek_id, {"error": exc.code})
        raise
    _audit(platform, KeyAction.KEYS_RETIRE, Outcome.SUCCESS, kek_id, {})


def _audit(
    platform: Platform,
    action: ActionTag,
    outcome: Outcome,
    kek_id: str | None,
    details: dict[str, str | int],
) -> None:
    """Record the key-management action in the audit log (ids and counts only)."""
    with platform.unit_of_work(actor=cli_actor()) as uow:
        uow.audit(action, outcome, resource=f"kek:{kek_id}" if kek_id else None, details=details)


# ---------------------------------------------------------------------- command bodies
def show_status(keystore: Keystore, out: Console) -> None:
    """Print the key ring and keystore counts."""
    report = keystore.status()
    key_file = keystore.keyring.key_file
    if key_file is None:
        out.print("key source: KLAREMONT_KEK (no key file)")
    else:
        mode = stat.S_IMODE(key_file.stat().st_mode)
        out.print(f"key file: {key_file} (mode {mode:04o})")
    out.print(f"active KEK: [bold]{report['active_kek']}[/bold]")
    table = Table(title="Key-encryption keys")
    table.add_column("KEK id")
    table.add_column("active", justify="center")
    table.add_column("data keys wrapped", justify="right")
    for kek_id, count in report["data_keys_per_kek"].items():
        active = "yes" if kek_id == report["active_kek"] else ""
        table.add_row(kek_id, active, str(count))
    out.print(table)
    out.print(
        f"live data keys: {report['live_keys']} for {report['subjects']} subject(s); "
        f"destroyed subjects: {report['destroyed_subjects']} "
        f"({report['destroyed_keys']} data key(s) shredded)"
    )
    if report["unknown_keks"]:
        out.print(
            "[red]data keys wrapped under KEKs missing from the key ring (unreadable): "
            f"{', '.join(report['unknown_keks'])}[/red]"
        )


def rotate_keks(keystore: Keystore, out: Console) -> tuple[str, int]:
    """Rotate the KEK with a progress bar, print the counts; returns (new KEK id, count)."""
    previous = set(keystore.keyring.kek_ids)
    with Progress(
        TextColumn("re-wrapping data keys"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as bar:
        task = bar.add_task("rewrap", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        kek_id, count = keystore.rotate_kek(advance)
    out.print(f"new active KEK: [bold]{kek_id}[/bold]; re-wrapped {count} data key(s)")
    per_kek = keystore.status()["data_keys_per_kek"]
    for old in sorted(previous):
        if per_kek.get(old, 0):
            out.print(f"{old} still wraps {per_kek[old]} data key(s); run rotate again")
        else:
            out.print(
                f"{old} wraps no data keys now: retire it (klaremont keys retire {old}) once "
                "no keystore backup taken before this rotation is needed"
            )
    return kek_id, count


def retire_kek(keystore: Keystore, kek_id: str, out: Console) -> None:
    """Retire one KEK and say so."""
    keystore.retire_kek(kek_id)
    out.print(f"retired {kek_id}; {len(keystore.keyring.kek_ids)} KEK(s) remain")
