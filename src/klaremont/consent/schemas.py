"""API shapes of the staff consent routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from klaremont.consent.models import ConsentMethod, ConsentSource
from klaremont.policy.purposes import MarketingChannel


class NoticeIn(BaseModel):
    """A new version of a notice."""

    model_config = ConfigDict(extra="forbid")

    notice_key: str = Field(
        default="privacy", min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$"
    )
    text: str = Field(min_length=1, max_length=200_000)


class NoticeOut(BaseModel):
    """A published notice version (without its text)."""

    notice_key: str
    version: int
    published_at: datetime
    text_sha256: str
    published_by: str


class HistoryOut(BaseModel):
    """One consent record."""

    kind: str
    item: str
    granted: bool
    recorded_at: datetime
    method: str
    source: str
    notice_key: str
    notice_version: int
    recorded_by: str


class SubjectConsentOut(BaseModel):
    """A person's current marketing and cookie choices, and the full history when the
    purpose may read consent records (``null`` otherwise).

    ``marketing`` is what marketing may use now: every channel is false while the person
    objects to marketing, is restricted or erased; ``marketing_recorded`` is the latest
    recorded choice per channel.
    """

    subject_id: uuid.UUID
    marketing: dict[str, bool]
    marketing_recorded: dict[str, bool]
    marketing_objection: bool
    marketing_objected_at: datetime | None
    restricted: bool
    cookies: dict[str, bool]
    history: list[HistoryOut] | None


class MarketingIn(BaseModel):
    """Choices a person gave staff (by phone or on paper), channel by channel."""

    model_config = ConfigDict(extra="forbid")

    choices: dict[MarketingChannel, bool] = Field(min_length=1)
    method: ConsentMethod
    source: ConsentSource = ConsentSource.STAFF_CONSOLE


class WithdrawIn(BaseModel):
    """A withdrawal a person gave staff."""

    model_config = ConfigDict(extra="forbid")

    method: ConsentMethod
    source: ConsentSource = ConsentSource.STAFF_CONSOLE
    channels: list[MarketingChannel] | None = None


class AudienceOut(BaseModel):
    """Who may be sent marketing on a channel right now."""

    channel: MarketingChannel
    count: int
    subject_ids: list[uuid.UUID]
