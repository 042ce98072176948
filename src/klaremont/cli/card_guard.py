"""The card-data guard on the command line: no argument may carry card data (nor a
control character).

A card number is prompted for (hidden) by the one command that takes one, never passed
as an argument (shell history, ``ps``); so every argument of every command is checked
with the one card detector before any command runs, in the form a service would store
it. A refusal names the argument (its option, or its position), never the value, exits
with status 2 and is audited as ``card.refused`` like a refusal on the web.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperGroup

from klaremont.audit.events import Outcome
from klaremont.cards.actions import CardAction
from klaremont.detectors.card_fields import Finding, Rule, value_rule
from klaremont.detectors.free_text import has_control_character

if TYPE_CHECKING:
    from collections.abc import Sequence


def argument_findings(args: Sequence[str]) -> list[Finding]:
    """Each argument holding card data, named by its option (``--summary``) or, for a
    positional argument, its position (never its value)."""
    findings = []
    for index, arg in enumerate(args):
        value = arg.partition("=")[2] if arg.startswith("--") else arg
        rule = value_rule(value or arg)
        if rule is not None:
            findings.append(Finding(_name_of(args, index), rule))
    return findings


def control_findings(args: Sequence[str]) -> list[str]:
    """Each argument holding a control character (a NUL, an escape; tabs and line breaks
    are text), named as :func:`argument_findings` names them."""
    return [_name_of(args, i) for i, arg in enumerate(args) if has_control_character(arg)]


def _name_of(args: Sequence[str], index: int) -> str:
    """How a refusal names ``args[index]``: its option (``--summary``, from ``--x=v`` or the
    option before it), else its position; never a value, nor an option that itself holds
    card data or a control character."""
    arg = args[index]
    name = arg.partition("=")[0] if arg.startswith("--") else ""
    previous = args[index - 1] if index else ""
    option = name or (previous if previous.startswith("-") and "=" not in previous else "")
    if not option:
        return f"argument {index + 1}"
    if value_rule(option) is not None or has_control_character(option):
        return "an option"
    return option


class CardGuardedGroup(TyperGroup):
    """The root command group: refuses card data in any argument before parsing."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Check every argument, then parse as usual; a refusal exits with status 2."""
        findings = argument_findings(args)
        if findings:
            _audit_refusal(findings)
            rules = {f.rule for f in findings}
            named = ", ".join(f.field for f in findings)
            text = "; ".join(rule.text for rule in Rule if rule in rules)
            _refuse(f"{named} holds card data; nothing was run or stored. {text}")
        controlled = control_findings(args)
        if controlled:
            named = ", ".join(controlled)
            _refuse(f"{named}: must not contain control characters; nothing was run or stored.")
        result: list[str] = super().parse_args(ctx, args)
        return result


def _refuse(message: str) -> NoReturn:
    """Say why in one line and exit with status 2 (nothing parsed, nothing run)."""
    from klaremont.cli.context import err_console  # noqa: PLC0415 - a core CLI module

    err_console.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(2)


def _audit_refusal(findings: list[Finding]) -> None:
    """Record ``card.refused`` (argument names and rules only) when the platform is reachable;
    the command is refused either way."""
    from klaremont.cli.context import cli_actor, get_platform  # noqa: PLC0415 - loads the platform

    details: dict[str, Any] = {
        "fields": [f.field for f in findings],
        "rules": [f.rule.value for f in findings],
    }
    try:
        with get_platform().unit_of_work(actor=cli_actor()) as uow:
            uow.audit(CardAction.CARD_REFUSED, Outcome.DENIED, resource="cli", details=details)
    except Exception:  # noqa: BLE001 - refusing matters more than recording the refusal
        return
