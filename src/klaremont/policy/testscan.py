"""Finds ``@pytest.mark.policy(...)`` in test files without running them (static AST scan).

A test function carries the clauses of its own decorators, of its class (decorators and a
class-level ``pytestmark``) and of its module (``pytestmark``). Marks inside a decorator,
such as ``pytest.param(..., marks=pytest.mark.policy("X"))``, count for the function.
Each (test function, clause) counts once; parametrised expansions are not counted.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True)
class MarkedTest:
    """A test function and the clause IDs it claims to prove."""

    nodeid: str
    clauses: tuple[str, ...]


@dataclass(slots=True)
class ScanResult:
    """Every marked test found, and what could not be read."""

    tests: list[MarkedTest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def tests_for(self, clause_id: str) -> list[str]:
        """Node IDs of the tests that carry ``clause_id``."""
        return [test.nodeid for test in self.tests if clause_id in test.clauses]


def is_test_file(path: Path) -> bool:
    """pytest's default ``python_files``: ``test_*.py`` and ``*_test.py``."""
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def scan_tests(tests_dir: Path, *, base: Path | None = None) -> ScanResult:
    """Scan every test file under ``tests_dir``; node IDs are relative to ``base``."""
    result = ScanResult()
    root = (base or tests_dir.parent).resolve()
    if not tests_dir.is_dir():
        return result
    for path in sorted(tests_dir.rglob("*.py")):
        if "__pycache__" in path.parts or not is_test_file(path):
            continue
        resolved = path.resolve()
        relative = (
            resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)
        )
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError, UnicodeDecodeError) as exc:
            result.problems.append(f"{relative}: cannot be scanned ({exc})")
            continue
        _scan_body(tree.body, relative, (), result, inherited=())
    return result


def _scan_body(
    body: list[ast.stmt],
    prefix: str,
    names: tuple[str, ...],
    result: ScanResult,
    *,
    inherited: tuple[str, ...],
) -> None:
    here = _dedupe(inherited + _pytestmark(body, prefix, result))
    for node in body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            own = _decorator_ids(node.decorator_list, prefix, result)
            _scan_body(node.body, prefix, (*names, node.name), result, inherited=here + own)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            clauses = _dedupe(here + _decorator_ids(node.decorator_list, prefix, result))
            if clauses:
                nodeid = "::".join((prefix, *names, node.name))
                result.tests.append(MarkedTest(nodeid=nodeid, clauses=clauses))


def _pytestmark(body: list[ast.stmt], where: str, result: ScanResult) -> tuple[str, ...]:
    found: list[str] = []
    for node in body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets)
        if named and node.value is not None:
            found.extend(_policy_ids(node.value, where, result))
    return tuple(found)


def _decorator_ids(decorators: list[ast.expr], where: str, result: ScanResult) -> tuple[str, ...]:
    found: list[str] = []
    for decorator in decorators:
        found.extend(_policy_ids(decorator, where, result))
    return tuple(found)


def _policy_ids(expr: ast.expr, where: str, result: ScanResult) -> list[str]:
    """Clause IDs of every ``mark.policy(...)`` call inside ``expr``."""
    found: list[str] = []
    for node in ast.walk(expr):
        if not (isinstance(node, ast.Call) and _is_policy_mark(node.func)):
            continue
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append(arg.value)
            else:
                result.problems.append(
                    f"{where}:{node.lineno}: pytest.mark.policy takes clause IDs as string "
                    "literals (the trace reads them without running the tests)"
                )
    return found


def _is_policy_mark(func: ast.expr) -> bool:
    """``pytest.mark.policy`` or ``mark.policy``."""
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "policy"
        and (
            (isinstance(func.value, ast.Attribute) and func.value.attr == "mark")
            or (isinstance(func.value, ast.Name) and func.value.id == "mark")
        )
    )


def _dedupe(ids: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
