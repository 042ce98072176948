"""Regenerate the data store's initial migration (0001) from the models.

Wave 1 has not shipped a database yet, so the initial migration is rebuilt from the
models while they settle; hand-written later revisions (0002 onwards) are kept.
Run: .venv/bin/python scripts/regen_initial_migration.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from klaremont.db import migrate
from klaremont.db.engine import make_engine

VERSIONS = migrate.DATA.script_location / "versions"


def main() -> None:
    """Delete 0001, set later revisions aside, autogenerate 0001 on an empty database."""
    with tempfile.TemporaryDirectory() as tmp:
        aside = Path(tmp) / "aside"
        aside.mkdir()
        for path in VERSIONS.glob("*.py"):
            if path.name.startswith("0001_"):
                path.unlink()
            else:
                shutil.move(str(path), aside / path.name)
        engine = make_engine(f"sqlite:///{tmp}/scratch.db")
        try:
            cfg = migrate._config(migrate.DATA, engine)  # noqa: SLF001 - developer tool
            command.revision(cfg, message="initial", autogenerate=True, rev_id="0001")
        finally:
            engine.dispose()
            for path in aside.glob("*.py"):
                shutil.move(str(path), VERSIONS / path.name)
    generated = next(VERSIONS.glob("0001_*.py"))
    target = VERSIONS / "0001_initial.py"
    generated.rename(target)
    target.write_text("\n".join(line.rstrip() for line in target.read_text().splitlines()) + "\n")
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "check", "--fix", "-q", str(target)], check=False)  # noqa: S603
    subprocess.run([str(ruff), "format", "-q", str(target)], check=True)  # noqa: S603
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
