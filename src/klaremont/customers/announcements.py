"""What the customer store announces to the other capabilities (``klaremont.events``).

The customer store imports none of the capabilities that react: consent records the
marketing choice made at collection, accuracy counts a correction as a review.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from klaremont.events import DomainEvent
from klaremont.policy.purposes import MarketingChannel


@dataclass(frozen=True, slots=True)
class AccountOpened(DomainEvent):
    """A customer account was created for ``subject_id``.

    ``marketing`` is the marketing choice made when the details were given (``None``: no
    choice was offered, as when a known person opens another account by phone), and
    ``channel`` how the details reached us (a :class:`CollectionChannel` value).
    """

    subject_id: uuid.UUID
    customer_id: uuid.UUID
    channel: str
    marketing: Mapping[MarketingChannel, bool] | None = None


@dataclass(frozen=True, slots=True)
class CustomerRectified(DomainEvent):
    """Personal details of the given accounts were corrected.

    ``channel`` says how: ``staff_correction`` (through the customer store) or
    ``rights_request`` (a rectification request, PP-R-RECTIFY).
    """

    customer_ids: tuple[uuid.UUID, ...]
    channel: str
    fields: tuple[str, ...] = field(default=())
