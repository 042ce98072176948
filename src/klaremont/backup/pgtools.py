"""PostgreSQL's own tools, found and run safely: ``pg_dump`` out, ``pg_restore`` in.

The binaries are looked for on ``PATH``, then in ``/usr/lib/postgresql/<major>/bin``
(newest first), or only in ``KLAREMONT_POSTGRES_BIN_DIR`` when it is set; one whose major
version is older than the server's is refused (``pg_dump`` cannot dump a newer server,
and an archive is read by a ``pg_restore`` at least as new as the ``pg_dump`` that made it).

Connection details go to the tools in their environment (``PGHOST``, ``PGPORT``,
``PGUSER``, ``PGPASSWORD``, ``PGSSLMODE`` ...), never on their command line, where ``ps``
would show them; only a database name is ever an argument. Errors repeat the tool's last
line of output, which names no password.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy import Engine

BIN_DIR_ENV = "KLAREMONT_POSTGRES_BIN_DIR"
DEFAULT_DIRS = "/usr/lib/postgresql/*/bin"
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
# libpq's environment variables for the URL query parameters a deployment may use.
_QUERY_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "host": "PGHOST",
    "port": "PGPORT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class ToolMissing(ConfigurationError):
    """``pg_dump`` or ``pg_restore`` is not installed, or too old for the server."""

    code = "postgres-tool-missing"
    status = 409
    title = "PostgreSQL client tool missing"


class ToolFailed(ConfigurationError):
    """``pg_dump`` or ``pg_restore`` ended with an error."""

    code = "postgres-tool-failed"
    status = 409
    title = "PostgreSQL tool failed"


@dataclass(frozen=True)
class Tool:
    """One client binary and its major version."""

    path: Path
    major: int


def server_major(engine: Engine) -> int:
    """The server's major version."""
    with engine.connect() as conn:
        number = int(conn.execute(text("SHOW server_version_num")).scalar_one())
        conn.rollback()
    return number // 10000


def _major(path: Path) -> int | None:
    try:
        done = subprocess.run(  # noqa: S603 - a found binary, fixed arguments
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    found = _VERSION.search(done.stdout)
    return int(found.group(1)) if found else None


def _candidates(name: str, bin_dir: str | None) -> Iterator[Path]:
    if bin_dir:
        yield Path(bin_dir) / name
        return
    on_path = shutil.which(name)
    if on_path:
        yield Path(on_path)
    versions = sorted(
        Path("/").glob(DEFAULT_DIRS.lstrip("/")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in versions:
        yield directory / name


def find_tool(name: str, needed_major: int, *, bin_dir: str | None = None) -> Tool:
    """The binary ``name`` of at least the server's major version, or one clear error."""
    bin_dir = bin_dir if bin_dir is not None else os.environ.get(BIN_DIR_ENV)
    too_old: list[str] = []
    for path in _candidates(name, bin_dir):
        if not (path.is_file() and os.access(path, os.X_OK)):
            continue
        major = _major(path)
        if major is None:
            continue
        if major >= needed_major:
            return Tool(path, major)
        too_old.append(f"{path} is version {major}")
    where = bin_dir or f"PATH or {DEFAULT_DIRS}"
    if too_old:
        raise ToolMissing(
            f"{name} must be PostgreSQL {needed_major} or newer to match the server; "
            f"found only: {', '.join(too_old)}"
        )
    raise ToolMissing(
        f"{name} not found in {where}: install the PostgreSQL {needed_major} client tools "
        f"(or set {BIN_DIR_ENV})"
    )


def libpq_env(url: URL | str) -> dict[str, str]:
    """The environment that points a PostgreSQL tool at ``url``'s server (secrets included)."""
    parsed = make_url(str(url)) if isinstance(url, str) else url
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "30"
    values: dict[str, object] = {
        "PGHOST": parsed.host,
        "PGPORT": parsed.port,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    for key, value in values.items():
        if value is not None:
            env[key] = str(value)
    for key, given in parsed.query.items():
        if key in _QUERY_ENV:
            env[_QUERY_ENV[key]] = given if isinstance(given, str) else given[-1]
    return env


def _failure(tool: Tool, stderr: bytes) -> ToolFailed:
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "no message"
    return ToolFailed(f"{tool.path.name} failed: {last}")


def dump(tool: Tool, url: URL, sink: Callable[[IO[bytes]], None]) -> None:
    """Run ``pg_dump`` (custom format) on ``url``'s database; ``sink`` reads its output."""
    process = subprocess.Popen(  # noqa: S603 - a found binary; secrets in env only
        [str(tool.path), "--format=custom", "--no-password"],
        stdout=subprocess.PIPE,
        stderr=(errors := tempfile.TemporaryFile()),  # noqa: SIM115 - closed below
        env=libpq_env(url),
    )
    assert process.stdout is not None  # noqa: S101 - asked for a pipe
    try:
        sink(process.stdout)
    except BaseException:
        process.kill()
        raise
    finally:
        process.stdout.close()
        code = process.wait()
        errors.seek(0)
        message = errors.read()
        errors.close()
    if code != 0:
        raise _failure(tool, message)


class Restore:
    """A running ``pg_restore`` into one database, fed through its standard input."""

    def __init__(self, tool: Tool, url: URL, database: str) -> None:
        """Start ``pg_restore`` into ``database`` on ``url``'s server, in one transaction."""
        self.tool = tool
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish/abort
        self.process = subprocess.Popen(  # noqa: S603 - a found binary; secrets in env only
            [
                str(tool.path),
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--dbname={database}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._errors,
            env=libpq_env(url),
        )

    def feed(self, data: bytes) -> None:
        """Pass the next bytes of the archive on."""
        assert self.process.stdin is not None  # noqa: S101 - asked for a pipe
        try:
            self.process.stdin.write(data)
        except BrokenPipeError:
            self.finish()  # raises with pg_restore's own message

    def finish(self) -> None:
        """End the input and wait; raises with the tool's last line when it failed."""
        assert self.process.stdin is not None  # noqa: S101 - asked for a pipe
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        code = self.process.wait()
        self._errors.seek(0)
        message = self._errors.read()
        self._errors.close()
        if code != 0:
            raise _failure(self.tool, message)

    def abort(self) -> None:
        """Stop it (its single transaction rolls back)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        self._errors.close()
