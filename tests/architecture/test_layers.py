"""The architecture holds: capabilities do not import each other in a circle, services stay
free of web and command-line frameworks, and every module is reachable from one front door."""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise

import pytest
from importgraph import ROOT, file_graph, find_cycle, folder_graph

from klaremont import capabilities


def test_no_import_cycle_between_capability_folders():
    """Room level: a capability's core, a capability's adapters (web, CLI, declaration, demo
    data), the foundation's folders and top-level modules. Any circle fails, named."""
    graph = {room: set(targets) for room, targets in folder_graph().items()}
    cycle = find_cycle(graph)
    if cycle is not None:
        arrows = folder_graph()
        steps = [f"{a} -> {b}: {min(arrows[a][b])}" for a, b in pairwise(cycle)]
        pytest.fail("import cycle between folders:\n" + "\n".join(steps))


def test_no_import_cycle_between_modules():
    """File level, lazy and TYPE_CHECKING imports included."""
    cycle = find_cycle(file_graph())
    assert cycle is None, f"import cycle between modules: {' -> '.join(cycle or [])}"


def test_the_cycle_check_can_fail():
    """The checker itself finds a planted circle (so a green result means something)."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_every_capability_folder_has_a_front_door():
    """Each folder with tables, routes, commands or checks declares itself."""
    declared = {c.folder for c in capabilities.capabilities()}
    foundation = {"web", "cli", "db", "demo", "testing", "detectors", "purposes", "__pycache__"}
    for folder in sorted(p for p in ROOT.iterdir() if p.is_dir() and p.name not in foundation):
        contributes = any(
            (folder / name).exists()
            for name in ("models.py", "checks.py", "cli.py", "web", "demo_data.py")
        )
        if contributes:
            assert folder in declared, f"{folder.name}/ contributes but has no capability.py"


PROBE = '"""Probe."""\n\nfrom {module} import {name}\n\nPROBE = {name}\n'


def _gate(path: str, module: str, name: str) -> subprocess.CompletedProcess[str]:
    """Lint a probe file as if it lived at ``path`` (nothing is written to the tree)."""
    return subprocess.run(  # noqa: S603 - our own interpreter running ruff on a probe
        [sys.executable, "-m", "ruff", "check", "--select", "TID251", "--stdin-filename", path],
        input=PROBE.format(module=module, name=name),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT.parent.parent,
    )


@pytest.mark.parametrize(
    ("module", "name"),
    [("fastapi", "APIRouter"), ("starlette.requests", "Request"), ("typer", "Typer")],
)
def test_the_web_and_cli_gate_refuses_a_framework_import_in_a_service(module, name):
    """The lint gate fails when a module outside web/ and cli/ imports FastAPI or Typer..."""
    refused = _gate("src/klaremont/customers/service_probe.py", module, name)
    assert refused.returncode == 1
    assert "TID251" in refused.stdout


@pytest.mark.parametrize(
    ("path", "module", "name"),
    [
        ("src/klaremont/customers/web/probe.py", "fastapi", "APIRouter"),
        ("src/klaremont/web/probe.py", "starlette.requests", "Request"),
        ("src/klaremont/customers/cli.py", "typer", "Typer"),
        ("src/klaremont/cli/probe.py", "typer", "Typer"),
    ],
)
def test_the_gate_allows_frameworks_in_adapters(path, module, name):
    """...and lets the web and command-line adapters import them."""
    allowed = _gate(path, module, name)
    assert allowed.returncode == 0, allowed.stdout


def test_no_core_imports_an_adapter_or_a_shell():
    """Services own the rules: no capability core or foundation module imports a web or CLI
    adapter, a declaration, demo data, or the web, CLI and demo shells."""
    upper = ("web", "cli", "demo", "testing")
    wrong = [
        f"{source} -> {target}: {min(files)}"
        for source, targets in folder_graph().items()
        if not source.endswith(":adapters") and source not in upper
        for target, files in targets.items()
        if target.endswith(":adapters") or target in upper
    ]
    assert not wrong, "\n".join(wrong)
