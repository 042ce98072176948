"""Renderers for the trace and the policy file: rich tables and a self-contained HTML page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from klaremont.policy.live import LiveStatus
from klaremont.policy.trace import SCOPE_ORDER, STATUS_ORDER, TraceMatrix, completeness_problems

if TYPE_CHECKING:
    from klaremont.policy.model import PolicyFile

LIVE_STYLES = {
    LiveStatus.HOLDS: "green",
    LiveStatus.FAILS: "bold red",
    LiveStatus.ERROR: "bold magenta",
    LiveStatus.UNKNOWN: "yellow",
    LiveStatus.NO_CHECK: "dim",
    LiveStatus.NOT_RUN: "dim",
}
STATUS_STYLES = {"implemented": "green", "planned": "yellow", "organisational": "dim"}
OUTCOME_STYLES = {"passed": "green", "failed": "bold red", "skipped": "yellow", "not run": "dim"}
SCOPE_NAMES = {"S": "System enforces", "A": "System assists", "O": "Organisational"}


def trace_table(matrix: TraceMatrix) -> Table:
    """The matrix as a rich table, one row per clause."""
    table = Table(title="Klaremont policy trace", show_lines=False, expand=False)
    for column in ("Clause", "Scope", "Status", "Controls", "Tests", "Last run", "Live", "Issue"):
        table.add_column(column, no_wrap=column in {"Clause", "Scope", "Tests"})
    for row in matrix.rows:
        controls = Text()
        for index, control in enumerate(row.controls):
            if index:
                controls.append("\n")
            controls.append(control.path, style="" if control.ok else "bold red")
            if not control.ok:
                controls.append(" (missing)", style="bold red")
        live = Text(row.live.status.value, style=LIVE_STYLES[row.live.status])
        tests_style = "bold red" if row.status == "implemented" and row.tests == 0 else ""
        table.add_row(
            row.id,
            row.scope,
            Text(row.status, style=STATUS_STYLES[row.status]),
            controls,
            Text(str(row.tests), style=tests_style),
            Text(row.last_outcome, style=OUTCOME_STYLES.get(row.last_outcome, "")),
            live,
            row.issue,
        )
    return table


def trace_summary(matrix: TraceMatrix) -> str:
    """One line of counts for the foot of the table."""
    by_status = ", ".join(f"{matrix.count(status=s)} {s}" for s in STATUS_ORDER)
    if not matrix.live_checked:
        return f"{len(matrix.rows)} clauses: {by_status}; live checks not run"
    by_live = ", ".join(
        f"{matrix.count(live=status)} {status.value}"
        for status in (
            LiveStatus.HOLDS,
            LiveStatus.FAILS,
            LiveStatus.UNKNOWN,
            LiveStatus.ERROR,
            LiveStatus.NO_CHECK,
        )
    )
    return f"{len(matrix.rows)} clauses: {by_status}; live: {by_live}"


def trace_html(matrix: TraceMatrix) -> str:
    """A self-contained HTML report: no script, no external asset, grouped on the server."""
    environment = Environment(
        loader=PackageLoader("klaremont.policy", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    template = environment.get_template("trace.html")
    return template.render(
        matrix=matrix,
        by_status=[(s, [r for r in matrix.rows if r.status == s]) for s in STATUS_ORDER],
        by_scope=[
            (s, SCOPE_NAMES[s], [r for r in matrix.rows if r.scope == s]) for s in SCOPE_ORDER
        ],
        by_live=[
            (status, [r for r in matrix.rows if r.live.status == status])
            for status in LiveStatus
            if matrix.count(live=status)
        ],
        completeness=completeness_problems(matrix),
        summary=trace_summary(matrix),
    )


def policy_tree(policy: PolicyFile) -> Tree:
    """The loaded policy file as a rich tree of sections and values."""
    tree = Tree("Klaremont policy")
    _add(tree, policy.model_dump(mode="json"))
    return tree


def _add(node: Tree, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item and not _flat(item):
                _add(node.add(f"[bold]{escape(key)}[/bold]"), item)
            else:
                node.add(f"{escape(key)} = [cyan]{escape(_inline(item))}[/cyan]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _add(node.add(f"[bold]{index}[/bold]"), item)


def _flat(value: dict[str, Any] | list[Any]) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return isinstance(value, list) and not any(isinstance(i, dict | list) for i in items)


def _inline(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "(not set)" if value is None else str(value)
