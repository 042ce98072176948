"""What the connectors did in each external store, per request: one row per store and run.

``connector_runs`` is the record Fides issue 4164 asks for: which tables and fields of
which store were erased or masked, with counts (``counts``, JSON), and when a store
failed, its state and the error's class (never its message, which may quote a value). A
failed row is what ``klaremont connectors retry`` picks up; ``roots`` holds the identity
tables' surrogate keys in that store (the person's e-mail address is erased from
Klaremont by then, so the keys are what lets a retry find the rows again).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import RIGHTS, Handling

STORE_MAX = 40
REFERENCE_MAX = 20
ERROR_MAX = 80


class RunState(StrEnum):
    """Where one store's part of a request stands."""

    DONE = "done"
    FAILED = "failed"


class ConnectorRun(IdMixin, Base):
    """One store's part of one erasure request."""

    __tablename__ = "connector_runs"
    __table_args__ = (
        Index("ix_connector_runs_request", "request_ref", "store", unique=True),
        Index("ix_connector_runs_state", "state"),
        # Pseudonymous erasure records (like the erasure ledger): erasure leaves them alone.
        {"info": {RIGHTS: Handling.IGNORE.value}},
    )

    request_ref: Mapped[uuid.UUID]
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))
    subject_ref: Mapped[uuid.UUID]
    store: Mapped[str] = mapped_column(String(STORE_MAX))
    state: Mapped[RunState] = enum_column(RunState, 10)
    counts: Mapped[str] = mapped_column(Text)  # JSON: table -> {action, rows, fields}
    roots: Mapped[str] = mapped_column(Text)  # JSON: identity table -> surrogate keys
    error_class: Mapped[str | None] = mapped_column(String(ERROR_MAX))
    attempts: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
