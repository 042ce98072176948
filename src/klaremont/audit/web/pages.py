"""The audit log in the staff console: read with filters, check the chain, export a range.

Thin over the same services as ``/api/audit`` and ``klaremont audit``: reading is
:meth:`~klaremont.audit.log.AuditLog.read` (which records the read as ``audit.read``),
checking is :meth:`~klaremont.audit.log.AuditLog.verify` (recorded as ``audit.verify``), and
an export records one ``audit.read`` with its filters, format and size before it streams.
Filters arrive as text and are checked by :mod:`klaremont.audit.web.filters`: a bad one
gives the page back naming the field and the rule (422).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import select

from klaremont import capabilities
from klaremont.audit import export, resource_names
from klaremont.audit.events import Actor, ActorType, AuditAction, Outcome
from klaremont.audit.permissions import AuditPermission
from klaremont.audit.query import count_and_last, stream_events
from klaremont.audit.status import log_status
from klaremont.audit.verify_record import record_verification
from klaremont.audit.web.filters import FIELD_WORDS, PAGE_SIZES, read_filters
from klaremont.clock import UK_TIME
from klaremont.staff.models import StaffAccount
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep
from klaremont.web.render import render

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from klaremont.audit.models import AuditEvent
    from klaremont.audit.report import VerificationReport
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(AuditPermission.AUDIT_READ, page=True))]
VerifyPage = Annotated[
    StaffPrincipal,
    Depends(require(AuditPermission.AUDIT_READ, AuditPermission.AUDIT_VERIFY, page=True)),
]
EXPORT_MAX = 50_000
DETAIL_CHARS = 120
_CODE = re.compile(r"[a-z]+(?:_[a-z]+)+")
_AREA_WORDS = {
    "audit": "Audit log",
    "auth": "Sign-in",
    "authz": "Authorisation",
    "crypto": "Encryption",
    "demo": "Demo data",
    "dsr": "Data subject request",
    "jobs": "Scheduled jobs",
    "personal": "Personal data",
    "purpose": "Purpose check",
}
_WORDS = {"mfa": "authenticator", "db": "database", "fulfil": "fulfilled"}


def action_words(tag: str) -> str:
    """``authz.denied`` -> ``Authorisation: denied``: the stored tag read as words."""
    area, _, rest = tag.partition(".")
    spaced = rest.replace("_", " ").replace("-", " ").replace(".", " ")
    words = [_WORDS.get(word, word) for word in spaced.split()]
    named = _AREA_WORDS.get(area, area.capitalize())
    return f"{named}: {' '.join(words)}" if rest else named


def uk_stamp(when: datetime) -> str:
    """``06/12/2026 14:05:09``: a UK date and time to the second, in UK time."""
    return when.astimezone(UK_TIME).strftime("%d/%m/%Y %H:%M:%S")


def _is_count(value: list[object] | tuple[object, ...]) -> bool:
    """``["address", 56]``: a name and its number (a count stored as a pair)."""
    pair = 2
    return len(value) == pair and isinstance(value[0], str) and isinstance(value[1], int | float)


def value_words(value: object) -> str:
    """A detail's value as read: yes/no, lists with commas, pairs as ``name: value``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {value_words(item)}" for key, item in value.items()) or "none"
    if isinstance(value, list | tuple):
        if _is_count(value):
            return f"{value[0]}: {value_words(value[1])}"
        return ", ".join(value_words(item) for item in value) or "none"
    text = str(value)
    return text.replace("_", " ") if _CODE.fullmatch(text) else text  # identity_pending


def _short(value: object) -> str:
    text = value_words(value)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _staff_names(uow: UnitOfWork) -> dict[str, str]:
    rows = uow.session.execute(select(StaffAccount.id, StaffAccount.username))
    return {str(ident): name for ident, name in rows}


def _staff_actor(uow: UnitOfWork) -> Callable[[str], Actor | None]:
    def find(name: str) -> Actor | None:
        query = select(StaffAccount.id).where(StaffAccount.username_key == name.lower())
        found = uow.session.scalar(query)
        return None if found is None else Actor(ActorType.STAFF, str(found))

    return find


def _actor_words(event: AuditEvent, names: dict[str, str], things: dict[str, str]) -> str:
    if event.actor_type == ActorType.STAFF.value:
        return names.get(event.actor_id, f"staff {event.actor_id}")
    if event.actor_type == ActorType.SYSTEM.value:
        if event.actor_id.startswith("job:"):
            return f"Scheduled job {event.actor_id.removeprefix('job:')}"
        return "The platform" if event.actor_id == "klaremont" else f"system {event.actor_id}"
    if event.actor_type == ActorType.ANONYMOUS.value:
        return "Someone not signed in"
    as_resource = f"{event.actor_type}:{event.actor_id}"
    if as_resource in things:  # a customer: their reference, named by the customer store
        return things[as_resource]
    return f"{event.actor_type.capitalize()} {event.actor_id}"


def _things(uow: UnitOfWork, events: list[AuditEvent]) -> dict[str, str]:
    """The page's resources, and its customer readers, in words (one query a kind)."""
    wanted = {event.resource or "" for event in events}
    wanted |= {
        f"{event.actor_type}:{event.actor_id}"
        for event in events
        if event.actor_type == ActorType.CUSTOMER.value
    }
    return resource_names.names(uow.session, wanted)


def _rows(
    events: list[AuditEvent], names: dict[str, str], things: dict[str, str]
) -> list[dict[str, Any]]:
    return [
        {
            "seq": event.seq,
            "utc": event.occurred_at,
            "when": uk_stamp(event.occurred),
            "actor": _actor_words(event, names, things),
            "actor_code": f"{event.actor_type}:{event.actor_id}",
            "action": action_words(event.action),
            "tag": event.action,
            "outcome": event.outcome,
            "resource": _short(things.get(event.resource or "", event.resource or "")),
            "resource_code": event.resource or "",
            "purpose": event.purpose or "",
            "origin": event.origin or "",
            "details": [(key, _short(value)) for key, value in event.details_dict().items()],
        }
        for event in events
    ]


def _page(
    request: Request,
    staff: StaffPrincipal,
    uow: UowDep,
    *,
    verified: VerificationReport | None = None,
    error: str | None = None,
) -> HTMLResponse:
    filters = read_filters(request.query_params, _staff_actor(uow))
    events: list[AuditEvent] = []
    if filters.ok:
        wanted = filters.wanted
        events = uow.platform.audit.read(
            uow.session,
            reader=uow.actor,
            origin=uow.origin,
            request_id=uow.request_id,
            action=wanted.action,
            actor=wanted.actor,
            actor_id=wanted.actor_id,
            outcome=wanted.outcome,
            resource=wanted.resource,
            since=wanted.since,
            until=wanted.until,
            after_seq=filters.before,
            limit=filters.size + 1,
            newest_first=True,
        )
    status = log_status(uow.session, uow.platform.audit)
    names = _staff_names(uow)
    last_check = None
    if status.last_check is not None:
        check = status.last_check
        last_check = {
            "when": uk_stamp(check.occurred),
            "actor": _actor_words(check, names, {}),
            "outcome": check.outcome,
            "first_broken": check.details_dict().get("first_broken"),
        }
    more = len(events) > filters.size
    events = events[: filters.size]
    return render(
        "staff/audit.html",
        status_code=422 if not filters.ok or error else 200,
        staff=staff,
        filters=filters,
        field_words=FIELD_WORDS,
        rows=_rows(events, names, _things(uow, events)),
        older=filters.query(before=events[-1].seq) if more and events else None,
        newest=filters.query(before=None) if filters.before else None,
        actions=sorted(capabilities.action_catalogue()),
        action_words=action_words,
        outcomes=[o.value for o in Outcome],
        sizes=PAGE_SIZES,
        status=status,
        last_check=last_check,
        verified=verified,
        can_verify=AuditPermission.AUDIT_VERIFY in staff.permissions,
        error=error,
        export_max=EXPORT_MAX,
        uk=uk_stamp,
    )


@router.get("/audit")
def audit_page(request: Request, staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """The audit log, newest first, with filters; the view is recorded as ``audit.read``."""
    return _page(request, staff, uow)


@router.post("/audit/verify")
def audit_verify_page(request: Request, staff: VerifyPage, uow: UowDep) -> HTMLResponse:
    """Check the whole chain and the checkpoints now (recorded as ``audit.verify``)."""
    report = uow.platform.audit.verify(uow.platform.engine)
    record_verification(uow, report, via="console")
    return _page(request, staff, uow, verified=report)


def _export(request: Request, staff: StaffPrincipal, uow: UnitOfWork, kind: str) -> Response:
    filters = read_filters(request.query_params, _staff_actor(uow))
    if not filters.ok:
        return _page(request, staff, uow)
    wanted = filters.wanted
    total, last = count_and_last(uow.session, wanted)
    _, recorded = wanted.conditions()
    refused = total > EXPORT_MAX
    uow.audit(
        AuditAction.AUDIT_READ,
        Outcome.FAILURE if refused else Outcome.SUCCESS,
        resource="audit_events",
        details={
            "filters": recorded,
            "export": kind,
            "matched": total,
            "returned": 0 if refused else total,
            "seqs": [] if refused or last is None else [last],
        },
    )
    if refused:
        return _page(
            request,
            staff,
            uow,
            error=(
                f"{total:,} events match these filters; an export holds at most "
                f"{EXPORT_MAX:,}. Narrow the dates or add a filter, then export again."
            ),
        )
    rows = stream_events(uow.platform.engine, wanted, up_to=last or 0)
    chunks: Iterator[str] = export.csv_chunks(rows) if kind == "csv" else export.json_chunks(rows)
    stamp = uow.clock.now().astimezone(UK_TIME).strftime("%Y%m%d-%H%M")
    media = "text/csv; charset=utf-8" if kind == "csv" else "application/json"
    return StreamingResponse(
        chunks,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit-log-{stamp}.{kind}"'},
    )


@router.get("/audit/export.csv")
def audit_export_csv(request: Request, staff: ReadPage, uow: UowDep) -> Response:
    """The filtered range as CSV (header row; cells safe from formula injection)."""
    return _export(request, staff, uow, "csv")


@router.get("/audit/export.json")
def audit_export_json(request: Request, staff: ReadPage, uow: UowDep) -> Response:
    """The filtered range as a JSON array."""
    return _export(request, staff, uow, "json")
