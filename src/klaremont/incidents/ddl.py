"""Database-side append-only protection for ``incident_actions`` (the action log), with the
platform's one trigger pattern (:mod:`klaremont.db.append_only`). Someone who can drop the
triggers can still edit a row; its digest, chained into the audit log, shows it
(:mod:`klaremont.incidents.log`)."""

from __future__ import annotations

from klaremont.db import append_only

TABLE = "incident_actions"
MESSAGE = append_only.message(TABLE)


def append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that make ``incident_actions`` refuse UPDATE and DELETE."""
    return append_only.append_only_ddl(dialect_name, (TABLE,))


def drop_append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that undo :func:`append_only_ddl`."""
    return append_only.drop_append_only_ddl(dialect_name, (TABLE,))
