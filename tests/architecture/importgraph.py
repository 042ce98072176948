"""The package's import graph, read from the source (every import, lazy and TYPE_CHECKING too)."""

from __future__ import annotations

import ast
from collections import defaultdict
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import klaremont

ROOT = Path(klaremont.__file__).resolve().parent
#: Alembic script folders are loaded by Alembic, not imported.
SKIP = {"migrations", "keystore_migrations"}
#: A capability's adapters and contributions sit above every capability core: its web
#: package, its command-line module, its declaration and its demo data.
ADAPTERS = {"web", "cli.py", "capability.py", "demo_data.py"}


def module_name(path: Path) -> str:
    """``klaremont.x.y`` for ``ROOT/x/y.py``."""
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> list[Path]:
    """Every module of the package."""
    return sorted(p for p in ROOT.rglob("*.py") if not SKIP & set(p.relative_to(ROOT).parts))


def imported(path: Path) -> set[str]:
    """The ``klaremont`` modules ``path`` imports, at any level of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "klaremont":
                names.update(f"klaremont.{alias.name}" for alias in node.names)
            elif node.module.startswith("klaremont."):
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("klaremont."))
    return names


def file_graph() -> dict[str, set[str]]:
    """Module to the package modules it imports (names that are not modules are dropped)."""
    files = {module_name(p): p for p in source_files()}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        graph[name] = {m for m in imported(path) if m in files and m != name}
    return graph


def node_of(module: str) -> str:
    """The architectural room of a module: ``<folder>`` for a capability's core,
    ``<folder>:adapters`` for its adapters, the module itself for a top-level file."""
    parts = module.split(".")[1:]
    if len(parts) <= 1:
        return parts[0] if parts else "klaremont"
    folder, first = parts[0], parts[1]
    is_file = len(parts) == 2 and (ROOT / folder / f"{first}.py").exists()
    return f"{folder}:adapters" if (f"{first}.py" if is_file else first) in ADAPTERS else folder


def folder_graph() -> dict[str, dict[str, set[str]]]:
    """Room to the rooms it imports, with the importing files for each arrow."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for module, targets in file_graph().items():
        source = node_of(module)
        for target in targets:
            room = node_of(target)
            if room != source:
                graph[source][room].add(f"{module} -> {target}")
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (its nodes in order, the first repeated last), or None."""
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        return list(reversed(error.args[1]))  # graphlib lists predecessors first
    return None
