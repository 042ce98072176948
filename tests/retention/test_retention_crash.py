"""A run killed half way (the process, not an exception) and a second run: every due row is
dealt with exactly once, the dead run is marked interrupted, and the audit chain verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from retention_support import TEST_ACTOR, YEAR, seed_aged
from sqlalchemy import select

from klaremont.platform import Platform
from klaremont.retention import engine, ledger, runs
from klaremont.retention.models import RetentionRun

PEOPLE = 60
DRIVER = """
import sys
from datetime import datetime
from klaremont.clock import ManualClock
from klaremont.config import Settings
from klaremont.platform import Platform
from klaremont.retention import engine

import time

platform = Platform.build(Settings(), clock=ManualClock(datetime.fromisoformat(sys.argv[1])))
# a slow run (each batch takes a little longer), so the test can kill it half way
engine.run(platform, batch_size=1, progress=lambda *_: time.sleep(0.02))
"""


def _env(platform: Platform) -> dict[str, str]:
    settings = platform.settings
    env = dict(os.environ)
    env.update(
        {
            "KLAREMONT_DATABASE_URL": platform.engine.url.render_as_string(hide_password=False),
            "KLAREMONT_KEYSTORE_URL": platform.keystore_engine.url.render_as_string(
                hide_password=False
            ),
            "KLAREMONT_VAR_DIR": str(settings.var_dir),
            "KLAREMONT_ENVIRONMENT": "test",
        }
    )
    return env


def _batches(platform: Platform) -> int:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return sum(uow.session.scalars(select(RetentionRun.batches)))


@pytest.mark.policy("PP-KEEP", "IS-SENS-DISPOSE")
def test_a_killed_run_is_carried_on_and_nothing_is_done_twice(platform: Platform) -> None:
    for n in range(PEOPLE):
        seed_aged(platform, f"p{n}", idle=8 * YEAR, order_age=7 * YEAR, invoice_age=7 * YEAR)
    due = {p.target: set(p.ids) for p in engine.dry_run(platform).plans if p.ids}
    total = sum(len(ids) for ids in due.values())
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", DRIVER, platform.clock.now().isoformat()],
        env=_env(platform),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _batches(platform) < 5 and time.monotonic() < deadline:
        assert child.poll() is None, "the run ended before it could be killed"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    done_before = _batches(platform)
    assert 5 <= done_before < total  # killed half way

    platform.clock.advance(timedelta(minutes=1))
    report = engine.run(platform)

    assert len(report.resumed) == 1
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        query = select(RetentionRun.reference, RetentionRun.status)
        states: dict[str, str] = dict(uow.session.execute(query).all())  # type: ignore[arg-type]
    assert states[report.resumed[0]] == runs.INTERRUPTED
    assert states[report.reference] == runs.FINISHED
    purged: Counter[tuple[str, str]] = Counter()
    for entry in ledger.read(ledger.ledger_file(platform.settings)):
        if entry.target != ledger.KEYS:
            purged.update((entry.target, i) for i in entry.ids)
    # every due row exactly once (a killed batch either committed with its line or did not
    # happen; its line, written first, names rows the second run then found still due)
    assert {t for t, _ in purged} == set(due)
    for target, ids in due.items():
        assert {i for t, i in purged if t == target} == ids, target
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = sum(
            uow.session.scalars(select(RetentionRun.rows).where(RetentionRun.dry_run.is_(False)))
        )
    assert rows == total
    assert engine.dry_run(platform).total_due == 0
    assert platform.audit.verify(platform.engine).first is None
