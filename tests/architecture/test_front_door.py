"""A new capability is one folder: dropped beside the others, it appears in the app, the CLI,
the trace and the migrations, and no other file is edited."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def throwaway_root(tmp_path: Path) -> Path:
    """A package-path folder holding ``throwaway/``, built from the templates beside this test."""
    folder = tmp_path / "extra" / "throwaway"
    (folder / "migrations").mkdir(parents=True)
    for template in (HERE / "throwaway").glob("*.py.txt"):
        if template.name != "revision.py.txt":
            shutil.copyfile(template, folder / template.name.removesuffix(".txt"))
    return folder.parent


def test_a_throwaway_capability_appears_everywhere(throwaway_root, settings):
    """Model, route, CLI command, audit action and live check, from one folder."""
    env = {
        **os.environ,
        "KLAREMONT_ENVIRONMENT": "test",
        "KLAREMONT_VAR_DIR": str(settings.var_dir),
        "KLAREMONT_DATABASE_URL": settings.database_url,
        "KLAREMONT_KEYSTORE_URL": settings.keystore_url,
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own driver
        [sys.executable, str(HERE / "throwaway_driver.py"), str(throwaway_root)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "throwaway" in report["capabilities"]
    assert "throwaway" in report["cli_help"]
    assert report["cli_hello"] == [0, "hello from the throwaway capability\n"]
    assert any("throwaway_notes" in d for d in report["drift_before"])
    assert report["drift_after"] == []
    assert report["route"] == [200, {"said": "hello"}]
    assert report["openapi_has_route"] is True
    assert report["audited"] is True
    assert report["trace"] == ["holds", "the throwaway capability's check ran"]
