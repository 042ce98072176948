"""API shapes of card handling: a card number goes in once, only ``•••• 1234`` comes out."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from klaremont.customers.models import CollectionChannel
from klaremont.purposes import LawfulBasis


class CardIn(BaseModel):
    """A card to tokenise: number and expiry only. There is no CVV field, and none is accepted."""

    model_config = ConfigDict(extra="forbid")

    pan: SecretStr = Field(description="card number; sent to the payment provider, never stored")
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    channel: CollectionChannel = CollectionChannel.WEBSITE_PURCHASE


class CardOut(BaseModel):
    """A saved card as anyone may see it: brand, masked number, expiry."""

    id: uuid.UUID
    customer_id: uuid.UUID
    brand: str
    masked: str = Field(description="the last four digits only, e.g. '•••• 1234'")
    exp_month: int
    exp_year: int
    provider: str
    created_at: datetime
    removed_at: datetime | None
    channel: CollectionChannel
    collected_at: datetime
    lawful_basis: LawfulBasis
