"""Run in a subprocess by ``test_front_door.py``: put a throwaway capability folder beside
Klaremont's own (on the package path, as a new folder would be) and report, as JSON, what
the app, the CLI, the trace and the migrations check make of it. A separate process keeps
the capability's table, routes and checks out of every other test."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import klaremont

klaremont.__path__.append(sys.argv[1])

from alembic.script import ScriptDirectory  # noqa: E402 - after the package path is extended
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import select  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from klaremont import capabilities  # noqa: E402
from klaremont.audit.models import AuditEvent  # noqa: E402
from klaremont.cli.main import app as cli  # noqa: E402
from klaremont.config import Settings  # noqa: E402
from klaremont.db import migrate  # noqa: E402
from klaremont.platform import Platform  # noqa: E402
from klaremont.policy.trace import build_matrix  # noqa: E402
from klaremont.web.app import create_app  # noqa: E402

report: dict[str, object] = {"capabilities": [c.name for c in capabilities.capabilities()]}
runner = CliRunner()
report["cli_help"] = runner.invoke(cli, ["--help"]).output
hello = runner.invoke(cli, ["throwaway", "hello"])
report["cli_hello"] = [hello.exit_code, hello.output]

platform = Platform.build(Settings())
report["drift_before"] = [str(d) for d in migrate.drift(platform.engine, migrate.DATA)]
# The capability's first revision, in its own migrations folder, on the current head.
cfg = migrate._config(migrate.DATA, platform.engine)
parent = tuple(sorted(ScriptDirectory.from_config(cfg).get_heads()))  # every head: a merge point
template = (Path(__file__).parent / "throwaway" / "revision.py.txt").read_text()
folder = Path(sys.argv[1]) / "throwaway" / "migrations"
(folder / "throwaway_0001.py").write_text(template.format(parent=parent))
platform.upgrade()
report["drift_after"] = [str(d) for d in migrate.drift(platform.engine, migrate.DATA)]

with TestClient(create_app(platform), base_url="https://testserver") as client:
    answer = client.post("/api/throwaway/hello")
    report["route"] = [answer.status_code, answer.json()]
    report["openapi_has_route"] = (
        "/api/throwaway/hello" in client.get("/openapi.json").json()["paths"]
    )
with platform.unit_of_work() as uow:
    tags = uow.session.scalars(select(AuditEvent.action)).all()
report["audited"] = "throwaway.hello" in tags

matrix = build_matrix(tests_dir=None, results_file=None, live=platform)
# an organisational clause: no capability's own check claims it, only the throwaway's
row = next(r for r in matrix.rows if r.id == "IS-USE-LAWFUL")
report["trace"] = [row.live.status.value, row.live.detail]
platform.dispose()
sys.stdout.write(json.dumps(report) + "\n")
