"""``klaremont keys``: status, rotate and retire print ids and counts and are audited."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from klaremont.audit.models import AuditEvent
from klaremont.cli.context import use_platform
from klaremont.clock import ManualClock
from klaremont.config import Environment, Settings
from klaremont.crypto import cli as keys_cli
from klaremont.crypto.errors import KeyRetirementRefused
from klaremont.platform import Platform

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

KEY_DAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def cli_platform(tmp_path: Path) -> Iterator[Platform]:
    """A real, migrated platform under tmp_path that the CLI commands use."""
    settings = Settings(environment=Environment.TEST, var_dir=tmp_path / "var")
    platform = Platform.build(settings, clock=ManualClock(KEY_DAY))
    platform.upgrade()
    use_platform(platform)
    yield platform
    use_platform(None)
    platform.dispose()


@pytest.fixture
def run():
    """Invoke a ``keys`` command and return its result."""
    runner = CliRunner()
    return lambda *args: runner.invoke(keys_cli.app, list(args))


def _secrets(key_file: Path) -> list[str]:
    data = json.loads(key_file.read_text())
    return [*data["keks"].values(), data["index_key"]]


def _key_events(platform: Platform) -> list[tuple[str, str, str | None, dict[str, object]]]:
    with platform.unit_of_work() as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("keys.%")).order_by(AuditEvent.seq)
        ).all()
        return [(e.action, e.outcome, e.resource, e.details_dict()) for e in events]


def test_status_shows_ring_file_mode_and_counts(run, cli_platform: Platform) -> None:
    """Status names the active KEK, the key file and its mode, and counts data keys."""
    keystore = cli_platform.keystore
    for _ in range(3):
        keystore.ensure_subject_key(uuid.uuid4())
    erased = uuid.uuid4()
    keystore.ensure_subject_key(erased)
    keystore.destroy(erased, "erasure")
    result = run("status")
    assert result.exit_code == 0, result.output
    key_file = keystore.keyring.key_file
    assert key_file is not None
    assert keystore.keyring.active_id in result.output
    assert str(key_file) in result.output.replace("\n", "")
    assert "mode 0600" in result.output
    assert "live data keys: 3 for 3 subject(s)" in result.output
    assert "destroyed subjects: 1" in result.output
    assert not any(secret in result.output for secret in _secrets(key_file))


@pytest.mark.policy("DP-SECURE")
def test_rotate_rewraps_everything_prints_no_keys_and_is_audited(
    run, cli_platform: Platform
) -> None:
    """Rotate re-wraps every data key under a new KEK, prints counts only, and is audited."""
    keystore = cli_platform.keystore
    for _ in range(4):
        keystore.ensure_subject_key(uuid.uuid4())
    old = keystore.keyring.active_id
    result = run("rotate")
    assert result.exit_code == 0, result.output
    new = keystore.keyring.active_id
    assert new != old
    assert f"new active KEK: {new}; re-wrapped 4 data key(s)" in result.output
    assert f"{old} wraps no data keys now" in result.output
    assert keystore.status()["data_keys_per_kek"] == {old: 0, new: 4}
    key_file = keystore.keyring.key_file
    assert key_file is not None
    assert not any(secret in result.output for secret in _secrets(key_file))
    assert _key_events(cli_platform) == [("keys.rotate", "success", f"kek:{new}", {"rewrapped": 4})]


def test_retire_refuses_the_active_kek_and_removes_an_old_one(run, cli_platform: Platform) -> None:
    """Retire refuses the active KEK (audited as denied) and removes an unused old one."""
    keyring = cli_platform.keystore.keyring
    cli_platform.keystore.ensure_subject_key(uuid.uuid4())
    old = keyring.active_id
    refused = run("retire", old)
    assert refused.exit_code != 0
    assert isinstance(refused.exception, KeyRetirementRefused)
    assert run("rotate").exit_code == 0
    retired = run("retire", old)
    assert retired.exit_code == 0, retired.output
    assert f"retired {old}" in retired.output
    assert old not in keyring.kek_ids
    events = _key_events(cli_platform)
    assert [(action, outcome, resource) for action, outcome, resource, _ in events] == [
        ("keys.retire", "denied", f"kek:{old}"),
        ("keys.rotate", "success", f"kek:{keyring.active_id}"),
        ("keys.retire", "success", f"kek:{old}"),
    ]
    assert events[0][3] == {"error": "key-retirement-refused"}
