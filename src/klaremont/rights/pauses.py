"""The DPO stops a request's clock while waiting for the requester, and starts it again
(DP-PROMPT; UK GDPR Art. 12(3) and the ICO's "stop the clock" under the DPA 2018).

The clock may be stopped while the DPO waits for the requester to clarify what they ask
for, or to send information needed to identify them, or for another reason said in a note.
Only a request being worked on can be stopped (identity confirmed, not closed); while the
identity check is pending its clock already waits. A stop is one
:class:`~klaremont.rights.models.ClockPause` row (reason, sealed note, who and when);
resuming counts its whole days like an identity pause and moves the deadline by them
(:mod:`klaremont.rights.timing`); closing a stopped request ends the stop the same way.
The requester is told by mail both times, what is needed in fixed words (never the note).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.clock import uk_date
from klaremont.errors import Conflict, ValidationFailed
from klaremont.rights import service, timing
from klaremont.rights.events import RightsEvent, audit_rights, request_resource
from klaremont.rights.models import ClockPause
from klaremont.rights.ports import paused_mail, resumed_mail
from klaremont.rights.states import TERMINAL, WORKABLE, PauseReason, RequestState

if TYPE_CHECKING:
    from datetime import datetime

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest


class ClockAlreadyPaused(Conflict):
    """The request's clock is stopped already."""

    code = "dsr-clock-paused"
    title = "The request's clock is already paused"


class ClockNotPaused(Conflict):
    """The request's clock is running: there is nothing to resume."""

    code = "dsr-clock-running"
    title = "The request's clock is not paused"


def _day(when: datetime) -> str:
    return uk_date(when).strftime("%d/%m/%Y")


def _lock(uow: UnitOfWork, request: RightsRequest) -> None:
    """Read the request again under a row lock: of two people pausing (or resuming) at once,
    the second sees the first's change and is refused (PostgreSQL; SQLite has one writer)."""
    uow.session.flush()
    uow.session.refresh(request, with_for_update=True)


def _check_pausable(request: RightsRequest) -> None:
    if request.state in TERMINAL:
        raise service.TransitionRefused(
            f"request {request.reference} is already {request.state.value}: "
            "its clock has stopped for good"
        )
    if request.clock_stopped_at is not None:
        raise ClockAlreadyPaused(
            f"the clock of request {request.reference} is already paused "
            f"(since {_day(request.clock_stopped_at)}); resume it first"
        )
    if request.state not in WORKABLE:
        raise ClockAlreadyPaused(
            f"the clock of request {request.reference} already waits while the requester's "
            "identity is confirmed; it runs again once it is"
        )


def _clean_note(reason: PauseReason, note: str | None) -> str | None:
    if note is None or not note.strip():
        if reason is PauseReason.OTHER:
            raise ValidationFailed.single("note", "say what is needed when the reason is other")
        return None
    return service.clean_reason(note, "note")


def pause(
    uow: UnitOfWork, request: RightsRequest, reason: PauseReason, note: str | None = None
) -> ClockPause:
    """Stop the clock while waiting for the requester; they are told what is needed."""
    _lock(uow, request)
    _check_pausable(request)
    text = _clean_note(reason, note)
    now = uow.clock.now()
    stop = ClockPause(
        request_id=request.id,
        subject_id=request.subject_id,
        reason=reason,
        paused_at=now,
        paused_by=str(uow.actor),
    )
    if text is not None:
        stop.note = text
    uow.session.add(stop)
    request.clock_stopped_at = now
    request.updated_at = now
    uow.session.flush()
    told = service.notify(uow, request, paused_mail(request.reference, reason.value))
    audit_rights(
        uow,
        RightsEvent.CLOCK_PAUSED,
        resource=request_resource(request.id),
        details={
            "reference": request.reference,
            "reason": reason.value,
            "note_recorded": text is not None,
            "due_on": timing.deadline_of(uow, request).due.isoformat(),
            "requester_told": told is not None,
        },
    )
    return stop


def resume(uow: UnitOfWork, request: RightsRequest) -> ClockPause | None:
    """Start the clock again: the deadline moves by the whole days it stood still."""
    _lock(uow, request)
    if request.clock_stopped_at is None:
        waiting = request.state is RequestState.IDENTITY_PENDING
        raise ClockNotPaused(
            f"the clock of request {request.reference} is not paused"
            + (
                "; it waits for the identity check and runs again once identity is confirmed"
                if waiting
                else ""
            )
        )
    request.updated_at = uow.clock.now()
    stop = timing.end_stop(uow, request)
    uow.session.flush()
    told = service.notify(uow, request, resumed_mail(request.reference))
    audit_rights(
        uow,
        RightsEvent.CLOCK_RESUMED,
        resource=request_resource(request.id),
        details={
            "reference": request.reference,
            "reason": stop.reason.value if stop is not None else None,
            "days": stop.days if stop is not None else 0,
            "due_on": request.due_on.isoformat(),
            "requester_told": told is not None,
        },
    )
    return stop


def stops_of(uow: UnitOfWork, request: RightsRequest) -> list[ClockPause]:
    """Every stop of the request's clock, oldest first."""
    return timing.stops_of(uow, request)
