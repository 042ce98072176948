"""API shapes of the media inventory: labels, references and plain values, never a row id."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from klaremont.media.models import LABEL_MAX, NAME_MAX, PLACE_MAX, TEXT_MAX, MediaItem
from klaremont.media.states import Category, ItemState, MediaKind, Technique
from klaremont.plausible import Day

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
Place = Annotated[str, Field(min_length=1, max_length=PLACE_MAX)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemIn(_In):
    """An item to register."""

    label: Annotated[str, Field(min_length=1, max_length=LABEL_MAX)]
    kind: MediaKind
    holds_personal_data: bool = True
    holds_card_data: bool = False
    encryption: Annotated[str | None, Field(max_length=PLACE_MAX)] = None
    location: Place
    custodian: Name
    created_on: Day
    retention_due: Day | None = None


class MoveIn(_In):
    """A movement: where to, handed to whom, approved by which ISO (username)."""

    to_location: Place
    handed_to: Name
    approved_by: Name
    returned: bool = False


class RequestIn(_In):
    """Why the item should be disposed of."""

    reason: Annotated[str, Field(min_length=5, max_length=TEXT_MAX)]


class CarryOutIn(_In):
    """How the disposal was carried out."""

    category: Category | None = None
    technique: Technique | None = None
    performed_by: Name | None = None
    witness: Name | None = None
    certificate: Place | None = None


class ItemOut(BaseModel):
    """One item."""

    label: str
    kind: MediaKind
    holds_personal_data: bool
    holds_card_data: bool
    encryption: str
    location: str
    custodian: str
    held_by: str | None
    created_on: date
    retention_due: date | None
    state: ItemState
    last_seen_at: datetime | None
    sha256: str | None

    @classmethod
    def of(cls, item: MediaItem) -> ItemOut:
        """The item as the API shows it."""
        return cls(
            label=item.label,
            kind=item.kind,
            holds_personal_data=item.holds_personal_data,
            holds_card_data=item.holds_card_data,
            encryption=item.encryption,
            location=item.location,
            custodian=item.custodian,
            held_by=item.held_by,
            created_on=item.created_on,
            retention_due=item.retention_due,
            state=item.state,
            last_seen_at=item.last_seen_at,
            sha256=item.sha256,
        )


class StepOut(BaseModel):
    """A disposal step."""

    disposal: str
    step: str
    at: datetime
    by: str


class StocktakeOut(BaseModel):
    """A stocktake's counts."""

    reference: str
    expected: int
    seen: int
    missing: int
    finished: bool
    missing_labels: list[str] = []
