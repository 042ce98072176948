"""Database-side append-only protection for the case file's tables: evidence files, their
chain of custody and the members' reports (the action log's own is :mod:`.ddl`), with the
platform's one trigger pattern (:mod:`klaremont.db.append_only`)."""

from __future__ import annotations

from klaremont.db import append_only

TABLES = ("incident_evidence", "incident_custody", "incident_member_reports")
message = append_only.message


def append_only_ddl(dialect_name: str, tables: tuple[str, ...] = TABLES) -> list[str]:
    """Statements that make ``tables`` refuse UPDATE and DELETE."""
    return append_only.append_only_ddl(dialect_name, tables)


def drop_append_only_ddl(dialect_name: str, tables: tuple[str, ...] = TABLES) -> list[str]:
    """Statements that undo :func:`append_only_ddl`."""
    return append_only.drop_append_only_ddl(dialect_name, tables)
