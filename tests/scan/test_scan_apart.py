"""A scan run beside the platform's live SQLite connections leaves their locks alone.

SQLite's locks belong to the process: closing any handle of the process to the database
file drops them all. The scan therefore reads files in a process of its own; here another
process opening and closing the database must still see the platform's reader and leave the
write-ahead log in place.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from klaremont.platform import Platform
from klaremont.scan import apart, engine
from klaremont.scan.selfscan import SELF_KINDS

LIVE = "4556737586899855"


def _open_and_close_elsewhere(database: Path) -> None:
    code = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('select count(*) from sqlite_master').fetchall()\n"
        "c.close()\n"
    )
    subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code, str(database)], check=True, timeout=60
    )


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_scan_beside_a_live_connection_keeps_its_locks(platform: Platform) -> None:
    if platform.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's process-wide file locks")
    database = Path(str(platform.engine.url.database))
    wal = Path(f"{database}-wal")
    (database.parent / "stray.csv").write_text(f"id,card\n1,{LIVE}\n")
    with platform.engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()  # a read transaction
        assert wal.exists()
        result = apart.run_apart(engine.ScanRequest((str(database.parent),), SELF_KINDS))
        assert [f.sample for f in result.card_data()] == ["•••• 9855"]
        assert result.bytes > database.stat().st_size
        _open_and_close_elsewhere(database)
        assert wal.exists(), "another process took the database for its own and removed the log"


def test_a_refusal_in_the_scanning_process_comes_back_by_name() -> None:
    from klaremont.errors import ValidationFailed  # noqa: PLC0415 - the one test that needs it

    with pytest.raises(ValidationFailed) as refused:
        apart.run_apart(engine.ScanRequest(("/no/such/place",), SELF_KINDS))
    assert refused.value.problems[0].field == "target"
