"""Holds on a data subject's data (UK GDPR Art. 17(3)(e)): the ``subject_hold`` extension point.

A capability that may need a person's data kept for the establishment, exercise or defence
of legal claims (incident response: the customers affected by a breach) plugs a provider
into the point ``subject_hold``::

    extensions=(("subject_hold", "klaremont.incidents.holds:holds_on"),)

``provider(uow, subject_ids) -> Iterable[Hold]``: the holds in force *now* on any of the
given data subjects (their ``data_subjects`` ids), or on anyone when ``subject_ids`` is
``None`` (the retention run asks once for every hold, then leaves the held people out).
Whatever deletes or destroys a person's data asks :func:`holds_on` first and keeps
everything while a hold is in force: erasure refuses (the request stays open, the reason
names the hold), the deferred shred of an erased person's data key waits, and retention
purges skip the person (the DPO's litigation holds answer this point too). This module
is the foundation's: it imports no capability, and the capability that deletes imports
none of the holders.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from klaremont import capabilities

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

POINT = "subject_hold"


@dataclass(frozen=True, slots=True)
class Hold:
    """One hold in force on one person's data: who holds it, why, and until when
    (``until`` ``None``: until it is lifted)."""

    subject_id: uuid.UUID
    holder: str  # e.g. "incident INC-2026-0007": names the case, never the person
    reason: str
    since: datetime
    until: datetime | None = None

    def words(self) -> str:
        """One sentence for a refusal or a page: the holder, why, until when."""
        until = f"until {self.until.date().isoformat()}" if self.until else "until it is lifted"
        return f"a legal hold for {self.holder} ({self.reason}), {until}"


Provider = Callable[["UnitOfWork", frozenset[uuid.UUID] | None], Iterable[Hold]]


def holds_on(
    uow: UnitOfWork, subject_ids: Iterable[uuid.UUID], *, point: str = POINT
) -> list[Hold]:
    """Every hold in force now on any of ``subject_ids``, from every provider of ``point``."""
    wanted = frozenset(subject_ids)
    if not wanted:
        return []
    return _ask(uow, wanted, point)


def every_hold(uow: UnitOfWork, *, point: str = POINT) -> list[Hold]:
    """Every hold in force now, on anyone, from every provider of ``point``."""
    return _ask(uow, None, point)


def _ask(uow: UnitOfWork, wanted: frozenset[uuid.UUID] | None, point: str) -> list[Hold]:
    found: list[Hold] = []
    for provider in capabilities.extensions(point):
        found.extend(cast("Provider", provider)(uow, wanted))
    return sorted(found, key=lambda h: (str(h.subject_id), h.holder))


def held_subjects(uow: UnitOfWork, subject_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Hold]]:
    """The holds in force, by person (only the held ones appear)."""
    by_subject: dict[uuid.UUID, list[Hold]] = {}
    for hold in holds_on(uow, subject_ids):
        by_subject.setdefault(hold.subject_id, []).append(hold)
    return by_subject


def describe(holds: Iterable[Hold]) -> str:
    """The holds as one sentence ("" when there are none)."""
    return "; ".join(hold.words() for hold in holds)
