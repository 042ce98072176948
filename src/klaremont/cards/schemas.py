"""API shapes of card handling: a card number goes in once, only ``•••• 1234`` comes out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictInt

from klaremont.customers.models import CollectionChannel


class CardIn(BaseModel):
    """A card to tokenise: number and expiry only. There is no CVV field, and none is accepted."""

    model_config = ConfigDict(extra="forbid")

    pan: SecretStr = Field(description="card number; sent to the payment provider, never stored")
    exp_month: StrictInt = Field(ge=1, le=12)
    exp_year: StrictInt = Field(ge=2000, le=2100)
    channel: CollectionChannel = CollectionChannel.WEBSITE_PURCHASE
