"""``klaremont sanitize run/list/show`` and the console page of development copies."""

from __future__ import annotations

import base64
import json

import pytest
from sanitize_support import KEY
from sqlalchemy import select
from typer.testing import CliRunner

from klaremont.audit.models import AuditEvent
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.sanitize.actions import SanitizeAction
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client


@pytest.fixture
def invoke(seeded):
    use_platform(seeded)
    runner = CliRunner()
    yield lambda *args, env=None: runner.invoke(main.app, list(args), env=env)
    use_platform(None)


@pytest.mark.policy("IS-SENS-DEV")
def test_run_records_audits_and_reports_then_the_page_shows_it(seeded, invoke, tmp_path):
    key_file = tmp_path / "run.key"
    key_file.write_text(base64.b64encode(KEY).decode())
    html, report = tmp_path / "report.html", tmp_path / "report.json"
    target = f"sqlite:///{tmp_path / 'dev.db'}"
    done = invoke(
        "sanitize", "run", "--to", target, "--key-file", str(key_file),
        "--html", str(html), "--json", str(report),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "verification passed" in done.output
    data = json.loads(report.read_text())
    assert data["verification"]["passed"]
    assert data["reference"].startswith("SAN-")
    shown = html.read_text()
    assert "Tables and rules" in shown
    assert "Where the time went" in shown
    assert "Building indexes and constraints" in shown  # each stage in words
    assert set(data["stages"]) == {
        "prepare",
        "keys",
        "read",
        "transform",
        "write",
        "index",
        "rank_and_other",
        "verify",
    }
    assert base64.b64encode(KEY).decode() not in report.read_text()
    listed = invoke("sanitize", "list")
    assert data["reference"] in listed.output
    shown = invoke("sanitize", "show", data["reference"])
    assert "customers" in shown.output
    missing = invoke("sanitize", "show", "SAN-1999-0001")
    assert missing.exit_code != 0
    with seeded.unit_of_work() as uow:
        actions = set(uow.session.scalars(select(AuditEvent.action)))
    assert SanitizeAction.COPY_MADE.value in actions
    make_staff(seeded, "iris", Role.ISO)
    make_staff(seeded, "sal", Role.SUPPORT_AGENT)
    with staff_client(seeded, "iris") as client:
        page = client.get("/staff/sanitize")
        assert page.status_code == 200
        assert data["reference"] in page.text
        one = client.get(f"/staff/sanitize/{data['reference']}")
        assert one.status_code == 200
        assert "Checks: passed" in one.text
        assert "Made-up name" in one.text  # rules in words, not the rules file's
        assert "pseudonymise:" not in one.text
        assert "hex_digest" not in one.text
        assert client.get("/staff/sanitize/SAN-1999-0009").status_code == 404
    with staff_client(seeded, "sal") as client:
        assert client.get("/staff/sanitize").status_code == 403


def test_bad_input_is_named(invoke, tmp_path, monkeypatch):
    monkeypatch.delenv("KLAREMONT_SANITIZE_KEY", raising=False)
    target = f"sqlite:///{tmp_path / 'dev.db'}"
    no_key = invoke("sanitize", "run", "--to", target)
    assert no_key.exit_code != 0
    assert "--key-file" in str(no_key.exception)
    env = {"KLAREMONT_SANITIZE_KEY": base64.b64encode(KEY).decode()}
    (tmp_path / "dev.db").write_bytes(b"")
    exists = invoke("sanitize", "run", "--to", target, env=env)
    assert exists.exit_code != 0
    assert "already exists" in str(exists.exception)
    other = invoke("sanitize", "run", "--to", "mysql://x/y", env=env)
    assert "only SQLite files and PostgreSQL" in str(other.exception)
    bad_share = invoke("sanitize", "run", "--to", target, "--subset", "150%", env=env)
    assert bad_share.exit_code != 0
    assert "--subset" in str(bad_share.exception)
    assert "at most 100 %" in str(bad_share.exception)
