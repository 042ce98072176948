"""API shapes of the affected customers, the legal hold and the customer notice.
Account references, never a personal value or a row id."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from klaremont.incidents.affected_models import WHY_MAX
from klaremont.incidents.models import TEXT_MAX
from klaremont.mail.templates import NOTICE_TEXT_MAX, NOTICE_TEXT_MIN

if TYPE_CHECKING:
    from klaremont.incidents.affected_read import AffectedView, HoldView

Reason = Annotated[str, Field(min_length=10, max_length=TEXT_MAX, description="why, in words")]
NoticeText = Annotated[str, Field(min_length=NOTICE_TEXT_MIN, max_length=NOTICE_TEXT_MAX)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AffectedIn(_In):
    """Customers to list as affected: account references or e-mail addresses."""

    customers: list[Annotated[str, Field(min_length=1, max_length=254)]] = Field(
        min_length=1, max_length=200
    )
    why: Annotated[str, Field(max_length=WHY_MAX)] | None = None


class HoldIn(_In):
    """Place or lift the legal hold, with the reason."""

    reason: Reason


class NoticeIn(_In):
    """The breach notice's words (UK GDPR Art. 34(2)); the DPO is named by the platform."""

    nature: NoticeText = Field(description="what happened, in plain words")
    consequences: NoticeText = Field(description="the likely consequences for the person")
    measures: NoticeText = Field(description="what was done or is proposed, and what to do")
    late_reason: Annotated[str, Field(max_length=TEXT_MAX)] | None = Field(
        default=None, description="needed when the notice goes after its deadline"
    )


class ExemptIn(_In):
    """Telling the customers is not required: the Art. 34(3) ground and the reasoning."""

    ground: Literal["unintelligible", "risk_removed", "public_notice"]
    reasoning: Reason


class HoldOut(BaseModel):
    """A legal hold, in force (``lifted_at`` null) or lifted."""

    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None

    @classmethod
    def of(cls, view: HoldView) -> HoldOut:
        """From the plain values."""
        return cls(
            reason=view.reason,
            placed_by=view.placed_by,
            placed_at=view.placed_at,
            lifted_by=view.lifted_by,
            lifted_at=view.lifted_at,
            lift_reason=view.lift_reason,
        )


class PersonOut(BaseModel):
    """One affected customer, by account reference."""

    reference: str
    added_by: str
    added_at: datetime
    notice_sent_at: datetime | None


class AlertOut(BaseModel):
    """A read of an affected customer's data seen on high alert."""

    customer: str
    reader: str
    what: str
    read_at: datetime
    entry: int = Field(description="the action-log entry it made")
    messages: int = Field(description="messages sent to the team")


class AffectedOut(BaseModel):
    """The affected customers, the hold, high alert and the customer notice."""

    reference: str
    high_alert: bool
    customers: list[PersonOut]
    hold: HoldOut | None
    past_holds: list[HoldOut]
    alerts: list[AlertOut]
    notice: str = Field(description="pending, sent or not_required")
    notice_detail: str
    told: int
    waiting: int

    @classmethod
    def of(cls, view: AffectedView) -> AffectedOut:
        """From the plain values."""
        return cls(
            reference=view.reference,
            high_alert=view.high_alert,
            customers=[
                PersonOut(
                    reference=p.reference,
                    added_by=p.added_by,
                    added_at=p.added_at,
                    notice_sent_at=p.notice_sent_at,
                )
                for p in view.people
            ],
            hold=HoldOut.of(view.hold) if view.hold else None,
            past_holds=[HoldOut.of(h) for h in view.past_holds],
            alerts=[
                AlertOut(
                    customer=a.customer,
                    reader=a.reader,
                    what=a.what,
                    read_at=a.read_at,
                    entry=a.entry,
                    messages=a.messages,
                )
                for a in view.alerts
            ],
            notice=view.notice_decision,
            notice_detail=view.notice_detail,
            told=view.told,
            waiting=view.waiting,
        )
