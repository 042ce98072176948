"""Database-side append-only protection for a table: the one trigger pattern every
append-only record uses (the audit log, an incident's action log, evidence, custody and the
members' reports).

The services only ever insert rows; these triggers make the database refuse UPDATE and
DELETE (and TRUNCATE on PostgreSQL) too, so a bug or a casual ``UPDATE`` cannot rewrite
history. Someone who can drop the triggers can still edit a row; each record's hash chain or
digest shows it. The statements hold no ``%`` or ``:name``, so they run unchanged through
``op.execute``, ``text()`` or a driver's ``execute`` with any parameter style.
"""

from __future__ import annotations


def _unsupported(dialect_name: str) -> ValueError:
    return ValueError(f"no append-only triggers for the {dialect_name!r} dialect")


def message(table: str) -> str:
    """The database's refusal, as it reads in the error."""
    return f"{table} is append-only"


def _statements(dialect_name: str, table: str, deletable_if: str | None = None) -> list[str]:
    refusal = message(table)
    if dialect_name == "postgresql":
        function = f"{table}_append_only"
        allow = (
            ""
            if deletable_if is None
            else f"""
    IF TG_OP = 'DELETE' THEN
        IF {deletable_if} THEN
            RETURN OLD;
        END IF;
    END IF;"""
        )
        return [
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN{allow}
    RAISE EXCEPTION USING
        MESSAGE = '{refusal}: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$""",
            f"""CREATE TRIGGER {table}_no_update_delete
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION {function}()""",
            f"""CREATE TRIGGER {table}_no_truncate
BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        ]
    if dialect_name == "sqlite":
        return [
            f"""CREATE TRIGGER {table}_no_{verb.lower()}
BEFORE {verb} ON {table}{_when(verb, deletable_if)}
BEGIN
    SELECT RAISE(ABORT, '{refusal}');
END"""
            for verb in ("UPDATE", "DELETE")
        ]
    raise _unsupported(dialect_name)


def _when(verb: str, deletable_if: str | None) -> str:
    """SQLite: the DELETE trigger fires (and refuses) only when the row is not deletable."""
    return f"\nWHEN NOT ({deletable_if})" if verb == "DELETE" and deletable_if else ""


def _drops(dialect_name: str, table: str) -> list[str]:
    if dialect_name == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        ]
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("delete", "update")]
    raise _unsupported(dialect_name)


def append_only_ddl(dialect_name: str, tables: tuple[str, ...]) -> list[str]:
    """Statements that make ``tables`` refuse UPDATE and DELETE."""
    return [statement for table in tables for statement in _statements(dialect_name, table)]


def deletable_ddl(dialect_name: str, table: str, deletable_if: str) -> list[str]:
    """Like :func:`append_only_ddl` for one table, except that a DELETE of a row for which
    the SQL condition ``deletable_if`` (on ``OLD``) holds is let through; UPDATE (and
    TRUNCATE) are still refused. Undone by :func:`drop_append_only_ddl`."""
    return _statements(dialect_name, table, deletable_if)


def drop_append_only_ddl(dialect_name: str, tables: tuple[str, ...]) -> list[str]:
    """Statements that undo :func:`append_only_ddl`."""
    return [statement for table in tables for statement in _drops(dialect_name, table)]
