"""The retention API's bodies and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from klaremont.retention.models import REASON_MAX, LitigationHold


class ScheduleRowOut(BaseModel):
    """One category's rule."""

    category: str
    period: str
    after: str
    action: str
    justification: str
    legal_holds: list[str]
    carried_out_by: str


class PlanOut(BaseModel):
    """One target under its rule: due, done, kept."""

    target: str
    category: str
    description: str
    action: str
    after: str
    period: str
    due: int
    done: int
    people: int
    ids: list[str] = Field(description="pseudonymous ids of the rows due (dry run only)")
    kept: dict[str, int] = Field(description="rows kept, by the hold that kept them")


class ReportOut(BaseModel):
    """A run's or a dry run's report."""

    reference: str
    dry_run: bool
    at: str
    total_due: int
    total_done: int
    keys_destroyed: int
    batches: int
    resumed: list[str]
    compacted: list[str] = Field(
        default_factory=list, description="tables rewritten afterwards (PostgreSQL, --compact)"
    )
    plans: list[PlanOut]
    unplanned: list[dict[str, str]]
    categories_without_targets: list[str]


class RunOut(BaseModel):
    """A run in the register."""

    model_config = ConfigDict(from_attributes=True)

    reference: str
    dry_run: bool
    status: str
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    batches: int
    rows: int
    keys_destroyed: int


class HoldIn(BaseModel):
    """A litigation hold to place."""

    model_config = ConfigDict(extra="forbid")

    customer: str = Field(max_length=320, description="account reference or e-mail address")
    reason: str = Field(max_length=REASON_MAX, description="the claim the data may be needed for")


class LiftIn(BaseModel):
    """Why a hold is lifted."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=REASON_MAX)


class HoldOut(BaseModel):
    """A litigation hold."""

    reference: str
    customer: str
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None

    @classmethod
    def of(cls, hold: LitigationHold) -> HoldOut:
        """The answer for a hold."""
        return cls(
            reference=hold.reference,
            customer=hold.customer_reference,
            reason=hold.reason,
            placed_by=hold.placed_by,
            placed_at=hold.placed_at,
            lifted_at=hold.lifted_at,
            lifted_by=hold.lifted_by,
        )
