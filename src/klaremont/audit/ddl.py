"""Database-side append-only protection for ``audit_events``, with the platform's one trigger
pattern (:mod:`klaremont.db.append_only`).

The Python writer never updates or deletes an event; these triggers make the database
refuse it too, so a bug or a casual ``UPDATE`` cannot rewrite history. (An attacker who
can drop triggers can still tamper; the hash chain and the signed checkpoints catch that.)
"""

from __future__ import annotations

from klaremont.db import append_only

TABLE = "audit_events"
MESSAGE = append_only.message(TABLE)


def append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that make ``audit_events`` refuse UPDATE, DELETE (and TRUNCATE on
    PostgreSQL)."""
    return append_only.append_only_ddl(dialect_name, (TABLE,))


def drop_append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that undo :func:`append_only_ddl` (for the migration's downgrade)."""
    return append_only.drop_append_only_ddl(dialect_name, (TABLE,))
