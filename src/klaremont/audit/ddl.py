"""Database-side append-only protection for ``audit_events``, with the platform's one trigger
pattern (:mod:`klaremont.db.append_only`).

The Python writer never updates an event; these triggers make the database refuse it too,
so a bug or a casual ``UPDATE`` cannot rewrite history. (An attacker who can drop triggers
can still tamper; the hash chain and the signed checkpoints catch that.)

Since the archive (:mod:`klaremont.audit.archive`) the one DELETE let through is of an event
inside a range recorded in ``audit_archive_ranges`` -- written, signed and fsynced to an
archive segment first, and recorded in the same transaction as the delete. That table is
itself append-only, so a recorded range can neither be widened nor removed; UPDATE and
TRUNCATE of events stay refused. :func:`append_only_ddl` is the original protection (the
2026 baseline migration installs it); :func:`archivable_ddl` is the current one.
"""

from __future__ import annotations

from klaremont.db import append_only

TABLE = "audit_events"
RANGES = "audit_archive_ranges"
MESSAGE = append_only.message(TABLE)
#: A DELETE is allowed for an event inside a recorded archived range, and for nothing else.
ARCHIVED = f"EXISTS (SELECT 1 FROM {RANGES} WHERE OLD.seq BETWEEN {RANGES}.lo AND {RANGES}.hi)"  # noqa: S608 - constants


def append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that make ``audit_events`` refuse UPDATE, DELETE (and TRUNCATE on
    PostgreSQL)."""
    return append_only.append_only_ddl(dialect_name, (TABLE,))


def drop_append_only_ddl(dialect_name: str) -> list[str]:
    """Statements that undo :func:`append_only_ddl` (for the migration's downgrade)."""
    return append_only.drop_append_only_ddl(dialect_name, (TABLE,))


def archivable_ddl(dialect_name: str) -> list[str]:
    """The current protection: ``audit_archive_ranges`` append-only, and ``audit_events``
    refusing UPDATE, TRUNCATE and any DELETE outside a recorded archived range."""
    return [
        *append_only.append_only_ddl(dialect_name, (RANGES,)),
        *append_only.deletable_ddl(dialect_name, TABLE, ARCHIVED),
    ]


def drop_archivable_ddl(dialect_name: str) -> list[str]:
    """Statements that undo :func:`archivable_ddl`."""
    return append_only.drop_append_only_ddl(dialect_name, (TABLE, RANGES))
