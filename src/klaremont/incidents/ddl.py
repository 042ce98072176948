"""Database-side append-only protection for ``incident_actions`` (the action log).

The same pattern as the audit log's (:mod:`klaremont.audit.ddl`): the service only ever
inserts entries; these triggers make the database refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) too. Someone who can drop the triggers can still edit a row; its digest, chained
into the audit log, shows it (:mod:`klaremont.incidents.log`).

The statements hold no ``%`` or ``:name``, so they run unchanged through ``op.execute``.
"""

from __future__ import annotations

TABLE = "incident_actions"
MESSAGE = "incident_actions is append-only"
_PG_FUNCTION = "incident_actions_append_only"
_PG_ROW_TRIGGER = "incident_actions_no_update_delete"
_PG_TRUNCATE_TRIGGER = "incident_actions_no_truncate"
_SQLITE_UPDATE_TRIGGER = "incident_actions_no_update"
_SQLITE_DELETE_TRIGGER = "incident_actions_no_delete"


def _unsupported(dialect_name: str) -> ValueError:
    return ValueError(f"no append-only triggers for the {dialect_name!r} dialect")


def append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that make ``incident_actions`` refuse UPDATE and DELETE."""
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
BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()""",
            f"""CREATE TRIGGER {_PG_TRUNCATE_TRIGGER}
BEFORE TRUNCATE ON {TABLE}
FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()""",
        ]
    if dialect_name == "sqlite":
        return [
            f"""CREATE TRIGGER {_SQLITE_UPDATE_TRIGGER}
BEFORE UPDATE ON {TABLE}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
            f"""CREATE TRIGGER {_SQLITE_DELETE_TRIGGER}
BEFORE DELETE ON {TABLE}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
        ]
    raise _unsupported(dialect_name)


def drop_append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that undo :func:`append_only_ddl`."""
    if dialect_name == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {_PG_TRUNCATE_TRIGGER} ON {TABLE}",
            f"DROP TRIGGER IF EXISTS {_PG_ROW_TRIGGER} ON {TABLE}",
            f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()",
        ]
    if dialect_name == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {_SQLITE_DELETE_TRIGGER}",
            f"DROP TRIGGER IF EXISTS {_SQLITE_UPDATE_TRIGGER}",
        ]
    raise _unsupported(dialect_name)
