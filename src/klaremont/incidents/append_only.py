"""Database-side append-only protection for the case file's tables: evidence files, their
chain of custody and the members' reports (the action log's own is :mod:`.ddl`), with the
platform's one trigger pattern (:mod:`klaremont.db.append_only`).

Since incident records have a retention period, :func:`purgeable_ddl` is the current
protection of all four append-only tables (the action log's too): UPDATE and TRUNCATE are
refused as before, and so is a DELETE, except of a row whose incident is closed or
dismissed *and* has a line in ``incident_purges`` -- written by the retention purge
(:mod:`klaremont.incidents.retention`) in the transaction that deletes the case, and
itself append-only, so such a line can be neither edited nor taken back.
"""

from __future__ import annotations

from klaremont.db import append_only
from klaremont.incidents.ddl import TABLE as ACTION_LOG

TABLES = ("incident_evidence", "incident_custody", "incident_member_reports")
PURGES = "incident_purges"
#: Every append-only table of an incident (each has ``incident_id``).
PURGEABLE = (ACTION_LOG, *TABLES)
#: A DELETE is let through for a row of an ended incident (closed or dismissed: final
#: states) marked for purging, and no other.
PURGING = (
    "EXISTS (SELECT 1 FROM incident_purges"
    " JOIN incidents ON incidents.id = incident_purges.incident_id"
    " WHERE incident_purges.incident_id = OLD.incident_id"
    " AND incidents.state IN ('closed', 'dismissed'))"
)
message = append_only.message


def append_only_ddl(dialect_name: str, tables: tuple[str, ...] = TABLES) -> list[str]:
    """Statements that make ``tables`` refuse UPDATE and DELETE."""
    return append_only.append_only_ddl(dialect_name, tables)


def drop_append_only_ddl(dialect_name: str, tables: tuple[str, ...] = TABLES) -> list[str]:
    """Statements that undo :func:`append_only_ddl`."""
    return append_only.drop_append_only_ddl(dialect_name, tables)


def purgeable_ddl(dialect_name: str) -> list[str]:
    """The current protection: ``incident_purges`` append-only, and every append-only table
    of an incident refusing UPDATE, TRUNCATE and any DELETE but a purge's."""
    return [
        *append_only.append_only_ddl(dialect_name, (PURGES,)),
        *(
            statement
            for table in PURGEABLE
            for statement in append_only.deletable_ddl(dialect_name, table, PURGING)
        ),
    ]


def drop_purgeable_ddl(dialect_name: str) -> list[str]:
    """Statements that undo :func:`purgeable_ddl`."""
    return append_only.drop_append_only_ddl(dialect_name, (*PURGEABLE, PURGES))
