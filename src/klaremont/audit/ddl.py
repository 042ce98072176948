"""Database-side append-only protection for ``audit_events``, for the lead's migration.

The Python writer never updates or deletes an event; these triggers make the database
refuse it too, so a bug or a casual ``UPDATE`` cannot rewrite history. (An attacker who
can drop triggers can still tamper; the hash chain and the signed checkpoints catch that.)
"""

from __future__ import annotations

MESSAGE = "audit_events is append-only"

_PG_FUNCTION = "audit_events_append_only"
_PG_ROW_TRIGGER = "audit_events_no_update_delete"
_PG_TRUNCATE_TRIGGER = "audit_events_no_truncate"
_SQLITE_UPDATE_TRIGGER = "audit_events_no_update"
_SQLITE_DELETE_TRIGGER = "audit_events_no_delete"


def _unsupported(dialect_name: str) -> ValueError:
    return ValueError(f"no append-only triggers for the {dialect_name!r} dialect")


def append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that make ``audit_events`` refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL).

    They contain no ``%`` or ``:name``, so they run unchanged through ``op.execute``,
    ``text()`` or a driver's ``execute`` with any parameter style.
    """
    if dialect_name == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = '{MESSAGE}: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$""",
            f"""CREATE TRIGGER {_PG_ROW_TRIGGER}
BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()""",
            f"""CREATE TRIGGER {_PG_TRUNCATE_TRIGGER}
BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()""",
        ]
    if dialect_name == "sqlite":
        return [
            f"""CREATE TRIGGER {_SQLITE_UPDATE_TRIGGER}
BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
            f"""CREATE TRIGGER {_SQLITE_DELETE_TRIGGER}
BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
        ]
    raise _unsupported(dialect_name)


def drop_append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that undo :func:`append_only_ddl` (for the migration's downgrade)."""
    if dialect_name == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {_PG_TRUNCATE_TRIGGER} ON audit_events",
            f"DROP TRIGGER IF EXISTS {_PG_ROW_TRIGGER} ON audit_events",
            f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()",
        ]
    if dialect_name == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {_SQLITE_DELETE_TRIGGER}",
            f"DROP TRIGGER IF EXISTS {_SQLITE_UPDATE_TRIGGER}",
        ]
    raise _unsupported(dialect_name)
