"""Fixtures for the audit tests (helpers live in ``audithelp``, importable by name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from audithelp import START, Tamper, Writer, drop_triggers, new_engine
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from klaremont.audit.checkpoints import CheckpointSigner, load_or_create_signing_key
from klaremont.audit.log import AuditLog
from klaremont.clock import ManualClock


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A database holding the audit tables, with the append-only triggers installed."""
    yield from new_engine(tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    """A frozen UTC clock."""
    return ManualClock(START)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """Where the audit signing key lives (created on first use)."""
    return tmp_path / "keys" / "audit-signing.key"


@pytest.fixture
def audit(clock: ManualClock, key_file: Path, tmp_path: Path) -> AuditLog:
    """An audit log signing checkpoints into this test's own file."""
    signer = CheckpointSigner(load_or_create_signing_key(key_file))
    return AuditLog(clock=clock, signer=signer, checkpoint_file=tmp_path / "checkpoints.jsonl")


@pytest.fixture
def sessions(engine: Engine, audit: AuditLog) -> sessionmaker[Session]:
    """A session factory sealed by the audit log."""
    factory = sessionmaker(engine, expire_on_commit=False)
    audit.install(factory)
    return factory


@pytest.fixture
def writer(audit: AuditLog, sessions: sessionmaker[Session], clock: ManualClock) -> Writer:
    """Appends sealed events."""
    return Writer(audit, sessions, clock)


@pytest.fixture
def tamper(engine: Engine) -> Tamper:
    """Run raw SQL as an attacker with database access: drop the triggers first."""

    def run(*statements: str, params: dict[str, Any] | None = None) -> None:
        drop_triggers(engine)
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), params or {})

    return run
