"""The deployment files parse and hold their promises: the systemd units pass
``systemd-analyze verify`` (when installed; CI installs it) and a strict parser of our own,
and the Containerfile's instructions parse, copy only what exists, install from the locks
with hashes and run as a non-root user with a liveness health check."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = {
    "klaremont-web.service": "serve",
    "klaremont-worker.service": "worker",
}
INSTALLED = "/opt/klaremont/.venv/bin/klaremont"

# ---------------------------------------------------------------- systemd units
SECTIONS = {
    "Unit": {"Description", "Documentation", "After", "Wants", "Requires", "PartOf"},
    "Service": {
        "Type",
        "User",
        "Group",
        "EnvironmentFile",
        "Environment",
        "WorkingDirectory",
        "ExecStart",
        "Restart",
        "RestartSec",
        "TimeoutStopSec",
        "StateDirectory",
        "StateDirectoryMode",
        "RuntimeDirectory",
        "RuntimeDirectoryMode",
        "UMask",
        "NoNewPrivileges",
        "ProtectSystem",
        "ReadWritePaths",
        "ProtectHome",
        "PrivateTmp",
        "PrivateDevices",
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectControlGroups",
        "ProtectClock",
        "ProtectHostname",
        "ProtectProc",
        "ProcSubset",
        "RestrictNamespaces",
        "RestrictRealtime",
        "RestrictSUIDSGID",
        "LockPersonality",
        "RemoveIPC",
        "CapabilityBoundingSet",
        "AmbientCapabilities",
        "SystemCallArchitectures",
        "SystemCallFilter",
        "RestrictAddressFamilies",
    },
    "Install": {"WantedBy"},
}
REPEATABLE = {"Environment", "SystemCallFilter", "ReadWritePaths", "After", "Wants"}
_LINE = re.compile(r"(?P<key>[A-Za-z]+)=(?P<value>.*)")


class UnitError(ValueError):
    """A unit file line the strict parser refuses."""


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Sections -> keys -> values; refuses unknown sections and keys, a key outside a
    section, a repeated key that systemd would override, and malformed lines."""
    parsed: dict[str, dict[str, list[str]]] = {}
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            if section not in SECTIONS or section in parsed:
                msg = f"line {number}: unknown or repeated section [{section}]"
                raise UnitError(msg)
            parsed[section] = {}
            continue
        match = _LINE.fullmatch(line)
        if section is None or match is None:
            msg = f"line {number}: not 'Key=value' inside a section: {line!r}"
            raise UnitError(msg)
        key, value = match["key"], match["value"]
        if key not in SECTIONS[section]:
            msg = f"line {number}: unknown key {key!r} in [{section}]"
            raise UnitError(msg)
        if key in parsed[section] and key not in REPEATABLE:
            msg = f"line {number}: {key} given twice"
            raise UnitError(msg)
        parsed[section].setdefault(key, []).append(value)
    return parsed


@pytest.mark.parametrize(("name", "command"), UNITS.items())
def test_the_unit_is_hardened_and_runs_klaremont(name, command) -> None:
    """User (not root), NoNewPrivileges, ProtectSystem=strict, the var directory writable,
    the environment file, restart on failure, and the right command."""
    service = parse_unit((DEPLOY / "systemd" / name).read_text(encoding="utf-8"))["Service"]
    assert service["User"] == ["klaremont"]
    assert service["NoNewPrivileges"] == ["yes"]
    assert service["ProtectSystem"] == ["strict"]
    assert "/var/lib/klaremont" in service["ReadWritePaths"]
    assert service["WorkingDirectory"] == ["/var/lib/klaremont"]
    assert service["EnvironmentFile"] == ["/etc/klaremont/klaremont.env"]
    assert service["Restart"] == ["on-failure"]
    assert service["CapabilityBoundingSet"] == [""]
    executable, *args = service["ExecStart"][0].split()
    assert executable == INSTALLED
    assert args[0] == command


def test_the_strict_parser_can_fail() -> None:
    """A misspelt key, a key outside a section and a repeated key are refused."""
    with pytest.raises(UnitError, match="unknown key 'NoNewPrivilege'"):
        parse_unit("[Service]\nNoNewPrivilege=yes\n")
    with pytest.raises(UnitError, match="inside a section"):
        parse_unit("User=klaremont\n")
    with pytest.raises(UnitError, match="given twice"):
        parse_unit("[Service]\nUser=a\nUser=b\n")


def _verify(unit: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` on a copy whose ExecStart names a stand-in executable
    (the installed path does not exist on a build machine). Any message is a failure."""
    stand_in = tmp_path / "klaremont"
    stand_in.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stand_in.chmod(0o755)
    copy = tmp_path / unit.name
    copy.write_text(
        unit.read_text(encoding="utf-8").replace(INSTALLED, str(stand_in)), encoding="utf-8"
    )
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None
    return subprocess.run(  # noqa: S603 - the system's own verifier on our unit file
        [analyze, "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (.ci/run installs it); the strict parser ran",
)


@needs_systemd
@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_the_unit(name, tmp_path) -> None:
    """systemd's own verifier: exit 0 and not one warning about our unit (the verifier also
    loads units installed on this machine, such as a distribution's freeradius.service, and
    warns about those: not ours to judge)."""
    result = _verify(DEPLOY / "systemd" / name, tmp_path)
    assert result.returncode == 0, result.stderr
    ours = [line for line in result.stderr.splitlines() if _about_ours(line, name, tmp_path)]
    assert ours == [], result.stderr


def _about_ours(line: str, name: str, folder: Path) -> bool:
    """Whether a verifier line is about our unit (named, or its copy's path) or is not
    attributed to any installed unit file."""
    if name in line or str(folder) in line:
        return True
    return not re.match(r"^/(lib|usr|etc|run)/systemd/", line)


@needs_systemd
def test_systemd_verify_can_fail(tmp_path) -> None:
    """The verifier warns about a misspelt key (so a clean result means something)."""
    bad = tmp_path / "src" / "klaremont-bad.service"
    bad.parent.mkdir()
    bad.write_text(
        (DEPLOY / "systemd" / "klaremont-web.service")
        .read_text(encoding="utf-8")
        .replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"),
        encoding="utf-8",
    )
    result = _verify(bad, tmp_path)
    assert "Unknown key" in result.stderr


# ---------------------------------------------------------------- Containerfile
INSTRUCTIONS = {
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
}
JSON_FORM = {"CMD", "ENTRYPOINT", "SHELL", "VOLUME"}


@dataclass(frozen=True)
class Instruction:
    """One instruction (continuation lines joined)."""

    line: int
    keyword: str
    arguments: str


class ContainerfileError(ValueError):
    """An instruction the strict parser refuses."""


def parse_containerfile(text: str) -> list[Instruction]:
    """Instructions in order; refuses unknown keywords, a dangling continuation, a first
    instruction other than FROM/ARG and malformed JSON (exec) forms."""
    found: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        keyword, _, arguments = " ".join(pending).partition(" ")
        pending = []
        if keyword.upper() not in INSTRUCTIONS or keyword != keyword.upper():
            msg = f"line {start}: unknown instruction {keyword!r}"
            raise ContainerfileError(msg)
        found.append(Instruction(start, keyword, " ".join(arguments.split())))
    if pending:
        msg = "the file ends inside a continued instruction"
        raise ContainerfileError(msg)
    if not found or found[0].keyword not in {"FROM", "ARG"}:
        msg = "the first instruction must be FROM (or ARG)"
        raise ContainerfileError(msg)
    _check_exec_forms(found)
    return found


def _check_exec_forms(found: list[Instruction]) -> None:
    """Every exec (JSON) form is an array of strings."""
    for item in found:
        exec_form = item.arguments.startswith("[")
        if item.keyword in JSON_FORM and exec_form:
            try:
                value = json.loads(item.arguments)
            except ValueError as error:
                msg = f"line {item.line}: {item.keyword} is not a JSON array ({error})"
                raise ContainerfileError(msg) from error
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                msg = f"line {item.line}: {item.keyword} must be a JSON array of strings"
                raise ContainerfileError(msg)


def _stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for item in instructions:
        if item.keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(item)
    return stages


@pytest.fixture(scope="module")
def containerfile() -> list[Instruction]:
    """The parsed deploy/Containerfile."""
    return parse_containerfile((DEPLOY / "Containerfile").read_text(encoding="utf-8"))


def test_every_copied_source_exists(containerfile) -> None:
    """Each COPY from the build context names files that exist in the repository; COPY
    --from names an earlier stage."""
    stage_names: set[str] = set()
    for item in containerfile:
        if item.keyword == "FROM":
            parts = item.arguments.split()
            if len(parts) == 3 and parts[1].upper() == "AS":
                stage_names.add(parts[2])
        if item.keyword != "COPY":
            continue
        words = item.arguments.split()
        flags = [w for w in words if w.startswith("--")]
        sources = [w for w in words if not w.startswith("--")][:-1]
        assert sources, item
        origin = [f.split("=", 1)[1] for f in flags if f.startswith("--from=")]
        if origin:
            assert origin[0] in stage_names, item
            continue
        for source in sources:
            assert (REPO / source).exists(), f"line {item.line}: {source} is not in the repo"


def test_it_installs_from_the_locks_with_hashes(containerfile) -> None:
    """Every pip install of a lock checks hashes with no resolution, like scripts/bootstrap."""
    commands = " && ".join(i.arguments for i in containerfile if i.keyword == "RUN")
    installs = [c for c in commands.split("&&") if "pip install" in c]
    locks = [c for c in installs if " -r " in c]
    assert {c.split(" -r ")[1].split()[0] for c in locks} == {
        "requirements/build.lock",
        "requirements/runtime.lock",
    }
    for command in locks:
        assert "--require-hashes" in command
        assert "--no-deps" in command
    assert all("--no-deps" in c for c in installs)
    assert "pip check" in commands
    bootstrap = (REPO / "scripts" / "bootstrap").read_text(encoding="utf-8")
    assert "--no-deps --require-hashes -r requirements/build.lock" in bootstrap


def test_it_is_multi_stage_non_root_with_a_liveness_check(containerfile) -> None:
    """Two stages; the last runs as the klaremont user, checks /health/live, serves."""
    stages = _stages(containerfile)
    assert len(stages) >= 2
    final = stages[-1]
    users = [i.arguments for i in final if i.keyword == "USER"]
    assert users, "the run stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    (health,) = [i.arguments for i in final if i.keyword == "HEALTHCHECK"]
    assert "/health/live" in health
    assert health.split(" CMD ", 1)[1].startswith("[")
    json.loads(health.split(" CMD ", 1)[1])
    (cmd,) = [json.loads(i.arguments) for i in final if i.keyword == "CMD"]
    assert cmd[:2] == ["klaremont", "serve"]
    assert not any(i.keyword == "COPY" and "--from" not in i.arguments for i in final)


def test_the_containerfile_parser_can_fail() -> None:
    """Unknown instructions, a dangling continuation and a broken exec form are refused."""
    with pytest.raises(ContainerfileError, match="unknown instruction"):
        parse_containerfile("FROM python:3.11-slim\nCOPPY src /src\n")
    with pytest.raises(ContainerfileError, match="continued instruction"):
        parse_containerfile("FROM python:3.11-slim\nRUN true \\\n")
    with pytest.raises(ContainerfileError, match="not a JSON array"):
        parse_containerfile('FROM python:3.11-slim\nCMD ["klaremont", serve]\n')
    with pytest.raises(ContainerfileError, match="first instruction"):
        parse_containerfile("RUN true\n")
