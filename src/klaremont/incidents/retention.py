"""Incidents' retention target (``retention_targets``): an ended incident's whole record goes
``retention.incident_records.period`` after it ended (SP-IRT-REPORT, SP-IRP-EVIDENCE).

An incident ends when it is closed (``closed_at``) or dismissed (``state_changed_at``: both
states are final). Its record is the case and everything that hangs off it: team seats,
the action log, the preservation checklist, the notification tracker and its alerts,
evidence files and their chain of custody, the members' written reports, the affected
customers, the legal holds and the high-alert reads. A closed incident whose legal hold on
its customers is still in force (not lifted) is kept, hold and all: the hold keeps the
customers' data for a claim, and the record is what the claim is about.

Four of those tables are append-only in the database. Before a batch deletes anything,
:func:`mark_purged` writes each case's line in ``incident_purges`` (in the same
transaction): their triggers let a row go only when its incident is ended and has such a
line (:mod:`klaremont.incidents.append_only`), so nothing else can delete from them. It
then destroys the keystore keys of the case (the members' reports are sealed under the
incident's own key, each evidence file under a key of its own), so every copy of them,
backups included, is unreadable, and removes the evidence files from the evidence
directory. Those two steps cannot be rolled back: if the batch then fails, its cases are
still due and the next run deletes the rows.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, exists, insert, or_, select

from klaremont.incidents.affected_models import IncidentAffected, IncidentHold, IncidentReadAlert
from klaremont.incidents.casefile_models import (
    IncidentCustody,
    IncidentEvidence,
    IncidentMemberReport,
    IncidentPurge,
)
from klaremont.incidents.evidence import SUFFIX
from klaremont.incidents.evidence_settings import EvidenceSettings
from klaremont.incidents.models import (
    Incident,
    IncidentActionEntry,
    IncidentChecklistTick,
    IncidentDeadlineAlert,
    IncidentNotification,
    IncidentSeat,
)
from klaremont.incidents.states import IncidentState
from klaremont.policy.model import DataCategory
from klaremont.retention_targets import Target

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import ColumnElement, Table

    from klaremont.platform import UnitOfWork

REASON = "retention: the incident record's period ended"
ENDED = (IncidentState.CLOSED, IncidentState.DISMISSED)
#: What goes with an incident, in an order no foreign key minds (custody before evidence).
CHILDREN = (
    IncidentCustody,
    IncidentEvidence,
    IncidentMemberReport,
    IncidentActionEntry,
    IncidentSeat,
    IncidentChecklistTick,
    IncidentNotification,
    IncidentDeadlineAlert,
    IncidentReadAlert,
    IncidentAffected,
    IncidentHold,
)


def ended(table: Table) -> ColumnElement[Any]:
    """The clock ``incident_closed``: when the case was closed or dismissed (``NULL``: open)."""
    return case(
        (table.c.state == IncidentState.CLOSED, table.c.closed_at),
        (table.c.state == IncidentState.DISMISSED, table.c.state_changed_at),
        else_=None,
    )


def _no_hold_in_force(table: Table) -> ColumnElement[bool]:
    """No legal hold of the case is in force (a dismissed case's holds are not: holds_on)."""
    held = exists().where(IncidentHold.incident_id == table.c.id, IncidentHold.lifted_at.is_(None))
    return or_(table.c.state == IncidentState.DISMISSED, ~held)


def _evidence_directory(uow: UnitOfWork) -> Path:
    return EvidenceSettings().directory(uow.platform.settings).resolve()


def _remove_files(root: Path, reference: str, stored: list[str]) -> None:
    """The case's evidence files and what is left of its folder (a cut-off intake)."""
    folder = (root / reference).resolve()
    paths = [(root / name).resolve() for name in stored]
    if folder.parent == root and folder.is_dir():
        paths += [p for p in folder.iterdir() if p.name.endswith((SUFFIX, ".part"))]
    for path in paths:
        if path.is_relative_to(root):
            path.unlink(missing_ok=True)
    if folder.parent == root:
        with contextlib.suppress(OSError):  # gone already, or holds something not ours
            folder.rmdir()


def mark_purged(uow: UnitOfWork, ids: Sequence[Any]) -> None:
    """The ``before`` hook: mark the cases purged (so the append-only tables let their rows
    go), destroy their keys and remove their evidence files."""
    now = uow.clock.now()
    cases = uow.session.execute(
        select(Incident.id, Incident.reference, ended(Incident.__table__)).where(  # type: ignore[arg-type]
            Incident.id.in_(ids), Incident.state.in_(ENDED)
        )
    ).all()
    marked = set(
        uow.session.scalars(
            select(IncidentPurge.incident_id).where(IncidentPurge.incident_id.in_(ids))
        )
    )
    fresh = [
        {"incident_id": key, "reference": reference, "ended_at": at, "purged_at": now}
        for key, reference, at in cases
        if key not in marked
    ]
    if fresh:
        uow.session.execute(insert(IncidentPurge), fresh)
    files = uow.session.execute(
        select(IncidentEvidence.id, IncidentEvidence.incident_id, IncidentEvidence.stored_as).where(
            IncidentEvidence.incident_id.in_(ids)
        )
    ).all()
    keys: list[uuid.UUID] = [*ids, *(row.id for row in files)]
    uow.crypto.destroy_many(keys, REASON)
    root = _evidence_directory(uow)
    for key, reference, _ in cases:
        stored = [row.stored_as for row in files if row.incident_id == key]
        _remove_files(root, reference, stored)


def targets() -> tuple[Target, ...]:
    """Ended incidents, with everything of theirs."""
    return (
        Target(
            "incidents.records",
            DataCategory.INCIDENT_RECORDS,
            Incident.__table__,  # type: ignore[arg-type]
            {"incident_closed": ended},
            "closed and dismissed incidents with their action logs, evidence, reports, "
            "notifications, affected customers and holds",
            subject=None,
            children=tuple(model.__table__.c.incident_id for model in CHILDREN),
            extra=(_no_hold_in_force,),
            before=mark_purged,
        ),
    )
