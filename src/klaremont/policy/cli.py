"""``klaremont policy``: show the policy file, check one, print the traceability matrix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from klaremont.clock import SystemClock
from klaremont.config import Settings
from klaremont.errors import ConfigurationError, PolicyFileError
from klaremont.policy.live import LiveContext, StaticContext
from klaremont.policy.loader import load_policy
from klaremont.policy.render import policy_tree, trace_html, trace_summary, trace_table
from klaremont.policy.results import results_path
from klaremont.policy.trace import build_matrix, completeness_problems, matrix_json

if TYPE_CHECKING:
    from klaremont.policy.model import PolicyFile

app = typer.Typer(
    name="policy",
    help="The policy file, the clause catalog and the trace from clause to control.",
    no_args_is_help=True,
)


def _console(*, stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def _load_or_exit(path: Path | None) -> PolicyFile:
    """Load the policy; print every ``key: rule`` problem and exit 1 when it is not valid."""
    try:
        return load_policy(path)
    except PolicyFileError as exc:
        count = len(exc.problems)
        typer.echo(
            f"{path or 'shipped policy'}: not valid ({count} problem{'' if count == 1 else 's'})",
            err=True,
        )
        for problem in exc.problems:
            typer.echo(f"{problem.field}: {problem.rule}", err=True)
        raise typer.Exit(1) from None


def describe(policy: PolicyFile) -> str:
    """A one-line summary of the headline numbers."""
    wifi = policy.wifi
    categories = sum(1 for _ in policy.retention.items())
    return (
        f"passwords expire after {policy.passwords.expiry_days} days; "
        f"lockout after {policy.lockout.threshold} failures; "
        f"{categories} retention categories, {len(policy.legal_holds)} legal hold(s); "
        f"breach notice within {policy.breach.notify_authority_hours} h; "
        f"wireless {wifi.days[0]}-{wifi.days[-1]} {wifi.open:%H:%M}-{wifi.close:%H:%M} "
        f"{wifi.timezone}"
    )


@app.command()
def show(
    *,
    json_output: Annotated[bool, typer.Option("--json", help="print the policy as JSON")] = False,
    file: Annotated[
        Path | None,
        typer.Option(help="policy file (default: KLAREMONT_POLICY_FILE or the shipped one)"),
    ] = None,
) -> None:
    """Show the policy in force: every number the policies name."""
    policy = _load_or_exit(file or Settings().policy_file)
    if json_output:
        typer.echo(json.dumps(policy.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        _console().print(policy_tree(policy))


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="the policy file to validate")],
) -> None:
    """Validate a policy file: exit 1 naming each "key: rule" problem, 0 with a summary."""
    policy = _load_or_exit(file)
    typer.echo(f"{file}: valid; {describe(policy)}")


@app.command()
def trace(
    *,
    json_output: Annotated[bool, typer.Option("--json", help="print the matrix as JSON")] = False,
    html: Annotated[Path | None, typer.Option(help="also write an HTML report here")] = None,
    strict: Annotated[
        bool, typer.Option(help="exit 1 when an implemented clause lacks a test or a control")
    ] = False,
    no_live: Annotated[bool, typer.Option("--no-live", help="skip the live checks")] = False,
    summary: Annotated[bool, typer.Option(help="print only the counts and problems")] = False,
    tests: Annotated[Path, typer.Option(help="the tests folder to scan")] = Path("tests"),
    results: Annotated[
        Path | None,
        typer.Option(
            help="JUnit XML file, or folder of junit-*.xml (default: KLAREMONT_TRACE_RESULTS "
            "or <var>/trace); a .json file is read as the older results file"
        ),
    ] = None,
) -> None:
    """Print each clause with its controls, its tests, its last run and its live status."""
    settings = Settings()
    matrix = build_matrix(
        tests_dir=tests,
        results_file=results or results_path(settings.var_dir),
        live=None if no_live else _live_context(settings),
    )
    problems = completeness_problems(matrix)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(trace_html(matrix), encoding="utf-8")
        typer.echo(f"wrote {html}", err=True)
    if json_output:
        typer.echo(matrix_json(matrix))
    else:
        console = _console()
        if not summary:
            console.print(trace_table(matrix))
        console.print(trace_summary(matrix))
        if not problems:
            console.print("[green]complete:[/] every implemented clause has a control and a test")
    if problems:
        typer.echo(f"{len(problems)} completeness problem(s):", err=True)
        for problem in problems:
            typer.echo(f"  - {problem}", err=True)  # plain lines: CI logs, grep
    if strict and problems:
        raise typer.Exit(1)


def _live_context(settings: Settings) -> LiveContext:
    """The platform when it can be built; else settings, policy and clock alone (and say so)."""
    try:
        from klaremont.cli.context import get_platform  # noqa: PLC0415 - heavy: databases, keys

        return get_platform(upgrade=False)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("klaremont"):
            raise
        reason = f"{exc.name} is not available"
    except ConfigurationError as exc:
        if isinstance(exc, PolicyFileError):
            raise
        reason = exc.detail.splitlines()[0]
    typer.echo(f"live checks use settings and policy only ({reason})", err=True)
    return StaticContext(
        settings=settings, policy=_load_or_exit(settings.policy_file), clock=SystemClock()
    )
