"""What the media capability announces to the others (``klaremont.events``).

:class:`MediaMissing` is published when a stocktake finishes without seeing an item: the
incident capability reports a loss (SP-IRP-LOSS). :class:`MediaDisposed` is published when
a disposal is carried out: the backup capability destroys a disposed backup's key and
deletes its file. Both inside the unit of work that made the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from klaremont.events import DomainEvent


@dataclass(frozen=True, slots=True)
class MediaMissing(DomainEvent):
    """An item was not found at a stocktake."""

    label: str
    kind: str
    holds_personal_data: bool
    holds_card_data: bool
    last_location: str
    custodian: str
    stocktake: str


@dataclass(frozen=True, slots=True)
class MediaDisposed(DomainEvent):
    """A disposal was carried out; ``backup_id`` is set when the item is a backup file."""

    label: str
    disposal: str
    technique: str
    disposed_on: str
    backup_id: str | None = None
