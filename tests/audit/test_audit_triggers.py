"""The database itself refuses to change or remove audit events."""

from __future__ import annotations

import pytest
from audithelp import Writer, drop_triggers, requires_postgresql
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from klaremont.audit.ddl import append_only_ddl, drop_append_only_ddl
from klaremont.audit.models import AuditEvent


@pytest.fixture
def one_event(writer: Writer) -> Writer:
    """A log holding one event."""
    writer.one()
    return writer


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET outcome = 'failure'", "DELETE FROM audit_events"],
)
def test_update_and_delete_are_refused(one_event: Writer, engine: Engine, statement: str) -> None:
    """UPDATE and DELETE on audit_events fail with the append-only error, on every backend."""
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT outcome FROM audit_events")).scalar() == "success"


@pytest.mark.policy("IS-USE-MONITOR")
@pytest.mark.postgres_only
@requires_postgresql
def test_truncate_is_refused_on_postgresql(one_event: Writer, engine: Engine) -> None:
    """TRUNCATE is refused by the statement-level trigger on PostgreSQL."""
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_events"))


def test_orm_changes_to_a_recorded_event_are_refused(one_event: Writer, engine: Engine) -> None:
    """Changing a loaded event through the ORM fails at flush: rows are immutable."""
    with Session(engine) as session:
        event = session.get(AuditEvent, 1)
        assert event is not None
        event.outcome = "failure"
        with pytest.raises(DBAPIError, match="append-only"):
            session.flush()


def test_inserts_are_still_allowed(one_event: Writer, engine: Engine) -> None:
    """The triggers leave appending alone."""
    one_event.one()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2


def test_dropping_the_triggers_allows_changes_again(one_event: Writer, engine: Engine) -> None:
    """The downgrade statements remove the protection (what the tamper tests rely on)."""
    drop_triggers(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET outcome = 'failure'"))


def test_ddl_knows_only_supported_dialects() -> None:
    """An unknown dialect gets a clear error rather than silently no protection."""
    with pytest.raises(ValueError, match="mysql"):
        append_only_ddl("mysql")
    with pytest.raises(ValueError, match="mysql"):
        drop_append_only_ddl("mysql")
    assert all("%" not in s for d in ("sqlite", "postgresql") for s in append_only_ddl(d))
