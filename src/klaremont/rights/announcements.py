"""What the rights capability announces to the others (``klaremont.events``) besides the
customer store's :class:`~klaremont.customers.announcements.CustomerRectified` (which a
rectification request publishes): a person's processing was restricted, or their data
erased. Disclosures subscribes to tell the recipients (UK GDPR Art. 19)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from klaremont.events import DomainEvent


@dataclass(frozen=True, slots=True)
class SubjectRestricted(DomainEvent):
    """Processing of the person's data was restricted to storage (Art. 18)."""

    subject_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class SubjectErased(DomainEvent):
    """The person's data was erased (Art. 17); announced after the sweep, before any key
    is destroyed, so mail queued by a subscriber survives the sweep."""

    subject_id: uuid.UUID
