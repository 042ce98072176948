"""Announcing a read of a person's data: the ``personal_read`` extension point.

The capability that owns customer data (``customers``) announces each read of one
person's personal data (the single customer view, an account, their orders or invoices)
by calling :func:`announce` after the read was authorised and audited. Capabilities that
watch people plug a provider in::

    extensions=(("personal_read", "klaremont.incidents.high_alert:on_read"),)

``provider(uow, read) -> None``, called inside the reader's unit of work: incident response
alerts the team when an affected customer's data is read while the incident is open
("high alert"). The announcer imports none of the watchers; a watcher imports nothing of
the announcer but this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from klaremont import capabilities

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

POINT = "personal_read"


@dataclass(frozen=True, slots=True)
class PersonalRead:
    """One read of one person's personal data (no values: who, for what, which record)."""

    subject_id: uuid.UUID
    reference: str  # the account (``C0001234``), order or invoice reference: not personal
    what: str  # "customer view", "account", "orders" ...
    purpose: str
    categories: tuple[str, ...] = ()


Watcher = Callable[["UnitOfWork", PersonalRead], object]


def announce(uow: UnitOfWork, read: PersonalRead) -> None:
    """Tell every watcher of the point about ``read`` (in the reader's transaction)."""
    for watcher in capabilities.extensions(POINT):
        cast("Watcher", watcher)(uow, read)
