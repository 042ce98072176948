"""What the data subject request pages show, as plain values read through the rights
services: a queue row, the case (the requester's details read and recorded as the API reads
them; the messages sent to the person since the request came in), and drawing the case page.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from klaremont import holds
from klaremont.audit.permissions import AuditPermission
from klaremont.clock import UK_TIME, uk_date
from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.customers.permissions import CustomerPermission
from klaremont.mail.service import messages_to_subject
from klaremont.policy.purposes import Purpose
from klaremont.rights import changes, delivery, pauses, service
from klaremont.rights.events import RightsEvent, audit_rights, request_resource
from klaremont.rights.permissions import RightsPermission
from klaremont.rights.queries import sealed_reason
from klaremont.rights.states import (
    OPEN,
    WORKABLE,
    IntakeChannel,
    PauseReason,
    RequestKind,
    RequestState,
)
from klaremont.staff.permissions import purposes_of
from klaremont.web.render import render

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from fastapi.responses import HTMLResponse

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import ClockPause, RightsRequest
    from klaremont.staff.permissions import Role
    from klaremont.staff.web.principal import StaffPrincipal
    from klaremont.web.form_pages import PageStaff

STATE_WORDS = {
    RequestState.RECEIVED: "Received",
    RequestState.IDENTITY_PENDING: "Waiting for identity",
    RequestState.VERIFIED: "Identity verified",
    RequestState.IN_PROGRESS: "In progress",
    RequestState.EXTENDED: "Extended",
    RequestState.FULFILLED: "Fulfilled",
    RequestState.REFUSED: "Refused",
}
CHANNEL_WORDS = {
    IntakeChannel.PRIVACY_CENTRE: "Privacy centre",
    IntakeChannel.EMAIL: "E-mail",
    IntakeChannel.PHONE: "Phone",
    IntakeChannel.LETTER: "Letter",
}
PAUSE_WORDS = {
    PauseReason.CLARIFICATION: "waiting for the requester to clarify the request",
    PauseReason.IDENTIFICATION: "waiting for information needed to identify the requester",
    PauseReason.OTHER: "waiting for the requester",
}
#: The choices of the Pause clock form (short enough for a phone's width).
PAUSE_CHOICES = {
    PauseReason.CLARIFICATION: "Clarification of the request",
    PauseReason.IDENTIFICATION: "Information to identify them",
    PauseReason.OTHER: "Other: say what is needed",
}
MAIL_WORDS = {
    "pending": "Waiting to be sent",
    "sent": "Sent",
    "failed": "Could not be sent",
    "cancelled": "Cancelled",
}


def uk_day(when: date) -> str:
    """``06/12/2026``."""
    return when.strftime("%d/%m/%Y")


def uk_time(when: datetime) -> str:
    """``06/12/2026 14:05`` in UK time."""
    return when.astimezone(UK_TIME).strftime("%d/%m/%Y %H:%M")


def days_words(days: int, state: RequestState) -> str:
    if state not in OPEN:
        return "closed"
    if days < 0:
        return f"overdue by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} left"


def queue_row(uow: UnitOfWork, request: RightsRequest, today: date) -> dict[str, Any]:
    deadline = service.deadline_of(uow, request, today)
    days = deadline.days_left(today)
    return {
        "reference": request.reference,
        "kind": request.kind.value,
        "received": uk_day(request.received_on),
        "due": uk_day(deadline.due),
        "days_left": days,
        "days_words": days_words(days, request.state),
        "overdue": request.state in OPEN and days < 0,
        "state": STATE_WORDS[request.state],
        "verified": request.verified_at is not None,
        "paused": request.pause_started_at is not None or request.clock_stopped_at is not None,
        "channel": CHANNEL_WORDS[request.channel],
        "open": request.state in OPEN,
    }


# ---------------------------------------------------------------------- the case page
#: mails kept against the person that went to someone else: a recipient of their data told
#: of a change (UK GDPR Art. 19, the disclosures capability's ``recipient_update``)
MAIL_TO = {"recipient_update": "A recipient of their data (Article 19 notice)"}


def _details_in_words(uow: UnitOfWork, details: dict[str, Any]) -> dict[str, str]:
    """The requester's details as staff read them: corrections described (whose record,
    which field, the new value), never a record id or a Python structure."""
    shown: dict[str, str] = {}
    for key, value in details.items():
        if key == "identity_note":
            continue
        if key == "corrections":
            shown["Corrections asked for"] = "; ".join(changes.described(uow, value))
        else:
            shown[key.replace("_", " ").capitalize()] = str(value)
    return shown


def reads_details(roles: Iterable[Role]) -> bool:
    """Whether these roles may read a requester's own words (DP-PURPOSE).

    They are read to answer the request, a legal obligation; a role without that purpose
    (support logs requests and follows the queue) sees the case without them, and no read
    is recorded in its name for a purpose it does not hold.
    """
    return Purpose.LEGAL_OBLIGATION in purposes_of(roles)


def case_view(uow: UnitOfWork, reference: str, *, show_details: bool = True) -> dict[str, Any]:
    """What the case page shows, as plain values; the requester's details are read as the
    API reads them (recorded as a personal-data read when there are any)."""
    request = service.find(uow, reference)
    today = uk_date(uow.clock.now())
    deadline = service.deadline_of(uow, request, today)
    details = service.details_of(request) if show_details else {}
    if details:
        audit_rights(
            uow,
            RightsEvent.EXPORT_READ,
            resource=request_resource(request.id),
            details={"part": "request details", "by": "staff", "keys": sorted(details)},
        )
    stops = pauses.stops_of(uow, request)
    events: list[tuple[datetime, str]] = [(request.received_at, "Received")]
    if request.verified_at is not None:
        method = request.identity_method.value.replace("_", " ") if request.identity_method else ""
        events.append((request.verified_at, f"Identity verified ({method})"))
    if request.extension_notified_at is not None:
        events.append((request.extension_notified_at, "Extension: requester told"))
    events += _stop_events(stops)
    if request.closed_at is not None:
        events.append((request.closed_at, STATE_WORDS[request.state]))
    history = [(what, uk_time(when)) for when, what in sorted(events, key=lambda e: e[0])]
    stopped = stops[-1] if stops and request.clock_stopped_at is not None else None
    mails = [
        {
            "to": MAIL_TO.get(mail.template, "The requester"),
            "subject": mail.subject_line,
            "when": uk_time(mail.sent_at or mail.created_at),
            "status": MAIL_WORDS.get(mail.status, mail.status),
        }
        for mail in messages_to_subject(uow.session, request.subject_id, request.received_at)
    ]
    return {
        **queue_row(uow, request, today),
        "mails": mails,
        "resource": request_resource(request.id),
        "kind_value": request.kind,
        "state_value": request.state,
        "scope": request.scope.value if request.scope else None,
        "original_due": uk_day(deadline.original_due),
        "extension_notice_by": uk_day(deadline.extension_notice_by),
        "paused_days": deadline.paused_days,
        "extension_months": request.extension_months,
        "extension_reason": sealed_reason(request, "extension_reason"),
        "refusal_reason": sealed_reason(request, "refusal_reason"),
        "outcome": outcome_lines(json.loads(request.outcome)) if request.outcome else None,
        "details": _details_in_words(uow, details),
        "identity_note": bool(details.get("identity_note")),
        "details_withheld": not show_details,
        "history": history,
        "stopped": stopped is not None,
        "stopped_since": uk_day(uk_date(stopped.paused_at)) if stopped else None,
        "stopped_why": PAUSE_WORDS[stopped.reason] if stopped else None,
        "stopped_note": _note(stopped) if stopped else None,
        "open": request.state in OPEN,
        "workable": request.state in WORKABLE,
        "pending": request.state is RequestState.IDENTITY_PENDING,
        "formats": delivery.formats(uow, request.id),
        "legal_holds": _holds(uow, request),
    }


def _holds(uow: UnitOfWork, request: RightsRequest) -> str:
    """The holds keeping an open erasure waiting (Art. 17(3)(e)), in words; "" for none."""
    if request.kind is not RequestKind.ERASURE or request.state not in OPEN:
        return ""
    return holds.describe(holds.holds_on(uow, [request.subject_id]))


#: What the stored tables are called where a person reads them.
_TABLE_WORDS = {
    "customers": "account",
    "addresses": "addresses",
    "payment_cards": "saved cards (masked)",
    "dsr_requests": "data requests",
    "dsr_challenges": "identity codes",
    "mail_outbox": "messages",
    "order_lines": "order lines",
    "contact_records": "queries and complaints",
    "consent_records": "marketing choices",
}
#: The outcome's keys in words, in the order they are shown.
_OUTCOME_WORDS = {
    "rows": "Records in the copy",
    "tables": "What the copy holds",
    "deleted": "Deleted",
    "retained": "Kept, because the law requires it",
    "hold_until": "Kept until",
    "key": "The person's key",
}


def _counts_words(counts: dict[str, Any]) -> str:
    if not counts:
        return "nothing"
    return ", ".join(
        f"{_TABLE_WORDS.get(name, name.replace('_', ' '))} ({count})"
        for name, count in sorted(counts.items())
    )


def _outcome_value(value: Any) -> str:
    if isinstance(value, dict):
        return _counts_words(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return uk_day(uk_date(moment))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "nothing"
    return str(value)


def outcome_lines(outcome: dict[str, Any]) -> list[tuple[str, str]]:
    """What was done, as (label, words) lines: tables by what people call them, dates in
    UK form, never a stored key or an ISO timestamp."""
    known = [key for key in _OUTCOME_WORDS if key in outcome]
    other = sorted(key for key in outcome if key not in _OUTCOME_WORDS)
    return [
        (_OUTCOME_WORDS.get(key, key.replace("_", " ").capitalize()), _outcome_value(outcome[key]))
        for key in (*known, *other)
    ]


def _note(stop: ClockPause) -> str | None:
    """A stop's sealed note; ``None`` without one, or once the person's key is destroyed."""
    try:
        value: str | None = stop.note
    except SubjectKeyDestroyed:
        return None
    return value


def _stop_events(stops: list[ClockPause]) -> list[tuple[datetime, str]]:
    """Each stop of the clock and its end, as the case history tells them."""
    events = []
    for stop in stops:
        note = _note(stop)
        said = f"Clock paused: {PAUSE_WORDS[stop.reason]}" + (f" ({note})" if note else "")
        events.append((stop.paused_at, said + "; requester told what is needed"))
        if stop.resumed_at is not None:
            days = stop.days or 0
            length = f"{days} day{'s' if days != 1 else ''}"
            events.append((stop.resumed_at, f"Clock resumed after {length}; requester told"))
    return events


DONE_WORDS = {
    "logged": "Request logged and passed to the Data Protection Officer: a code went to the "
    "address on the account; the clock is paused until identity is confirmed.",
    "verified": "Identity verified: the clock runs again.",
    "code-sent": "A fresh code went to the address on the account.",
    "extended": "Deadline extended; the requester was told.",
    "refused": "Request refused; the requester was told.",
    "fulfilled": "Done.",
    "decided": "Decision recorded.",
    "paused": "Clock paused; the requester was told what is needed.",
    "resumed": "Clock running again: the due date moved by the days it was paused; the "
    "requester was told.",
}


def draw_case(
    staff: StaffPrincipal | PageStaff | None,
    reference: str,
    view: dict[str, Any] | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    erased: dict[str, Any] | None = None,
    only: str | None = None,
) -> HTMLResponse:
    """The case page; ``only`` draws just one action's form (the case could not be read)."""
    permissions = staff.permissions if staff is not None else frozenset()
    return render(
        "staff/request_case.html",
        status_code=status_code,
        staff=staff,
        reference=reference,
        case=view,
        error=error,
        notice=notice,
        erased=erased,
        only=only,
        can_manage=RightsPermission.DSR_MANAGE in permissions,
        can_erase=CustomerPermission.CUSTOMERS_ERASE in permissions,
        can_copy=CustomerPermission.CUSTOMERS_EXPORT in permissions,
        can_audit=AuditPermission.AUDIT_READ in permissions,
        max_months=2,
        pause_reasons={reason.value: words for reason, words in PAUSE_CHOICES.items()},
    )
