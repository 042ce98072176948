"""Database-side append-only protection for the movements and the disposal steps, with the
platform's one trigger pattern (:mod:`klaremont.db.append_only`)."""

from __future__ import annotations

from klaremont.db import append_only

TABLES = ("media_movements", "media_disposal_steps")
message = append_only.message


def append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that make the media record tables refuse UPDATE and DELETE."""
    return append_only.append_only_ddl(dialect_name, TABLES)


def drop_append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that undo :func:`append_only_ddl`."""
    return append_only.drop_append_only_ddl(dialect_name, TABLES)
