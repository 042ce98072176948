"""The console home's work list: what each capability says is waiting for one person.

Extension point ``"my_work"``: a capability declares
``extensions=(("my_work", "klaremont.<cap>.my_work:items"),)``; ``items(uow, principal)``
returns the :class:`WorkItem` list that person's permissions allow (it checks them
itself, reads through the capability's own services, and gives counts and references
only: no names, no addresses). A module may name its section in ``SECTION``.

:func:`gather` calls every contribution in its own savepoint: one that fails is reported
as a section that could not be loaded (logged once per page view), and the others still
show. This module is the foundation's: it imports no capability.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from klaremont import capabilities
from klaremont.logging import get_logger

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

POINT = "my_work"
#: the account id of the platform as a whole (the metrics' overseer, holding every
#: permission): a queue bound to one person (what waits for *your* approval) counts every
#: such item for it instead of answering NotFound
SYSTEM_ACCOUNT = uuid.UUID(int=0)
log = get_logger(__name__)


class Urgency(StrEnum):
    """How soon an item needs doing; sorted in this order."""

    OVERDUE = "overdue"
    DUE = "due"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most urgent."""
        return list(Urgency).index(self)


class WorkPrincipal(Protocol):
    """Who is asking: what a contribution may look at (the staff principal fits)."""

    @property
    def account_id(self) -> uuid.UUID:
        """The signed-in account."""

    @property
    def permissions(self) -> Collection[StrEnum]:
        """The permissions the person's roles hold."""


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One thing waiting: a title, a count or a detail, where it is done, how urgent."""

    title: str
    urgency: Urgency
    count: int | None = None
    detail: str | None = None
    link: str | None = None


Contribution = Callable[["UnitOfWork", WorkPrincipal], list[WorkItem]]


@dataclass(frozen=True, slots=True)
class WorkList:
    """Every item, most urgent first, and the sections that could not be loaded."""

    items: list[WorkItem] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def section_of(contribution: Contribution) -> str:
    """The section a contribution fills: its module's ``SECTION``, or its capability."""
    module_name = getattr(contribution, "__module__", "") or ""
    module = sys.modules.get(module_name)
    named = getattr(module, "SECTION", None)
    if isinstance(named, str) and named:
        return named
    parts = module_name.split(".")
    return parts[-2] if len(parts) > 1 else module_name or "work"


def gather(uow: UnitOfWork, principal: WorkPrincipal) -> WorkList:
    """Ask every ``my_work`` contribution; sort by urgency (stable within a section)."""
    result = WorkList()
    for contribution in capabilities.extensions(POINT):
        try:
            with uow.session.begin_nested():
                found = list(contribution(uow, principal))
        except Exception as exc:  # noqa: BLE001 - one section failing must not break the page
            section = section_of(contribution)
            # The error's type only: its text might quote a value read on the way.
            log.warning("my_work.failed", section=section, error=type(exc).__name__)
            result.failed.append(section)
            continue
        result.items.extend(found)
    result.items.sort(key=lambda item: item.urgency.rank)
    return result
