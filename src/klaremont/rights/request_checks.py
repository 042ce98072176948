"""Live checks of each right, over the request register (PP-R-ACCESS, -RECTIFY, -OBJECT,
-RESTRICT, -PORT).

For every kind of request: each closed one was closed by its deadline (with its pauses and
extension), and each open one is still in time (a request waiting for the requester's
identity, or whose clock the DPO stopped, is not running late). Then what the right
promises, on the fulfilled ones:

- access: a copy was made (its tables counted) and, while copies are kept, the JSON and
  readable copies are there to download;
- portability: the JSON and CSV (zip) copies, while copies are kept;
- rectification: the fields corrected are recorded;
- restriction: the person is restricted now, or the restriction was lifted on the record;
- objection to marketing: the person's objection is recorded, so marketing is off.

Without a database each says "unknown".
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.clock import uk_date
from klaremont.db.subjects import Subject
from klaremont.policy.live import (
    CheckResult,
    LiveContext,
    inspect_database,
    live_check,
    staff_links,
)
from klaremont.rights.delivery import EXPORT_KEPT
from klaremont.rights.events import ACTION_OF, RightsEvent, subject_resource
from klaremont.rights.models import ExportArtifact, RightsRequest
from klaremont.rights.states import OPEN, ObjectionScope, RequestKind, RequestState
from klaremont.rights.timing import deadline_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

WHAT = "data subject requests"
CLOSED = frozenset({RequestState.FULFILLED, RequestState.REFUSED})
COPIES = {RequestKind.ACCESS: {"json", "html"}, RequestKind.PORTABILITY: {"json", "zip"}}


def _names(found: list[str]) -> str:
    shown = ", ".join(found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")  # noqa: PLR2004


def _outcome(request: RightsRequest) -> dict[str, object]:
    try:
        found = json.loads(request.outcome or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _copies_missing(uow: UnitOfWork, request: RightsRequest) -> str | None:
    """The copy formats a fulfilled access or portability request still should have."""
    if "records" not in _outcome(request) and "tables" not in _outcome(request):
        return "no copy recorded"
    closed = request.closed_at
    if closed is None or uow.clock.now() - closed >= EXPORT_KEPT:
        return None  # copies are deleted after their keeping period
    kept = set(
        uow.session.scalars(
            select(ExportArtifact.fmt).where(ExportArtifact.request_id == request.id)
        )
    )
    missing = sorted(COPIES[request.kind] - kept)
    return f"no {' or '.join(missing)} copy" if missing else None


def _corrected(_uow: UnitOfWork, request: RightsRequest) -> str | None:
    return None if _outcome(request).get("fields") else "no corrected fields recorded"


def _restricted(uow: UnitOfWork, request: RightsRequest) -> str | None:
    subject = uow.session.get(Subject, request.subject_id)
    if subject is None or subject.restricted_at is not None:
        return None
    lifted = uow.session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == ACTION_OF[RightsEvent.RESTRICTION_LIFTED].value,
            AuditEvent.resource == subject_resource(request.subject_id),
        )
    )
    if any(json.loads(d).get("event") == RightsEvent.RESTRICTION_LIFTED.value for d in lifted):
        return None
    return "the person is not restricted"


def _marketing_off(uow: UnitOfWork, request: RightsRequest) -> str | None:
    if request.scope is not ObjectionScope.MARKETING:
        return None
    subject = uow.session.get(Subject, request.subject_id)
    if subject is None or subject.marketing_objection_at is not None:
        return None
    return "marketing is not switched off"


def _closed_problems(
    uow: UnitOfWork,
    request: RightsRequest,
    promise: Callable[[UnitOfWork, RightsRequest], str | None],
) -> tuple[str | None, str | None]:
    """(lateness, broken promise) of a closed request."""
    closed_on = uk_date(request.closed_at or uow.clock.now())
    due = deadline_of(uow, request, closed_on).due
    late = (
        f"{request.reference} (closed {closed_on:%d/%m/%Y}, due {due:%d/%m/%Y})"
        if closed_on > due
        else None
    )
    problem = promise(uow, request) if request.state is RequestState.FULFILLED else None
    return late, None if problem is None else f"{request.reference}: {problem}"


def _open_lateness(uow: UnitOfWork, request: RightsRequest) -> str | None:
    """Why an open request is late, if it is (a waiting or stopped clock does not run)."""
    if request.state is RequestState.IDENTITY_PENDING or request.clock_stopped_at is not None:
        return None
    today = uk_date(uow.clock.now())
    due = deadline_of(uow, request, today).due
    return f"{request.reference} (open, due {due:%d/%m/%Y})" if today > due else None


def _check_kind(
    ctx: LiveContext,
    kind: RequestKind,
    promise: Callable[[UnitOfWork, RightsRequest], str | None],
) -> CheckResult:
    label = kind.value

    def check(uow: UnitOfWork) -> CheckResult:
        requests = uow.session.scalars(
            select(RightsRequest)
            .where(RightsRequest.kind == kind)
            .order_by(RightsRequest.received_at)
        ).all()
        late: list[str] = []
        broken: list[str] = []
        behind: list[str] = []  # the references of the requests named, for the links
        open_now = 0
        for request in requests:
            too_late: str | None = None
            problem: str | None = None
            if request.state in CLOSED:
                too_late, problem = _closed_problems(uow, request, promise)
            elif request.state in OPEN:
                open_now += 1
                too_late = _open_lateness(uow, request)
            late.extend(filter(None, [too_late]))
            broken.extend(filter(None, [problem]))
            if too_late or problem:
                behind.append(request.reference)
        records = staff_links(behind, "requests")
        if late:
            return CheckResult(
                holds=False,
                detail=f"{label} requests past their deadline: {_names(late)}",
                records=records,
            )
        if broken:
            return CheckResult(
                holds=False,
                detail=f"{label} requests fulfilled but {_names(broken)}",
                records=records,
            )
        return CheckResult(
            holds=True,
            detail=f"{len(requests) - open_now} {label} request(s) closed on time; "
            f"{open_now} open, none late",
        )

    return inspect_database(ctx, check, what=WHAT)


@live_check(
    "PP-R-ACCESS",
    reads="every access request: closed ones against their deadline, open ones against today, "
    "fulfilled ones for their copy (tables counted; JSON and readable copies while kept)",
)
def access_requests_answered_in_time(ctx: LiveContext) -> CheckResult:
    """Every access request answered by its deadline, each with its copy."""
    return _check_kind(ctx, RequestKind.ACCESS, _copies_missing)


@live_check(
    "PP-R-PORT",
    reads="every portability request: closed ones against their deadline, open ones against "
    "today, fulfilled ones for their JSON and CSV copies while kept",
)
def portability_requests_answered_in_time(ctx: LiveContext) -> CheckResult:
    """Every portability request answered by its deadline, with its JSON and CSV copies."""
    return _check_kind(ctx, RequestKind.PORTABILITY, _copies_missing)


@live_check(
    "PP-R-RECTIFY",
    reads="every rectification request: closed ones against their deadline, open ones against "
    "today, fulfilled ones for the corrected fields recorded",
)
def rectification_requests_answered_in_time(ctx: LiveContext) -> CheckResult:
    """Every rectification answered by its deadline, its corrected fields recorded."""
    return _check_kind(ctx, RequestKind.RECTIFICATION, _corrected)


@live_check(
    "PP-R-RESTRICT",
    reads="every restriction request: closed ones against their deadline, open ones against "
    "today, the person restricted now or the lifting audited",
)
def restriction_requests_answered_in_time(ctx: LiveContext) -> CheckResult:
    """Every restriction answered by its deadline, and the person still restricted."""
    return _check_kind(ctx, RequestKind.RESTRICTION, _restricted)


@live_check(
    "PP-R-OBJECT",
    reads="every objection: closed ones against their deadline, open ones against today, a "
    "marketing objection recorded on the person",
)
def objections_answered_in_time(ctx: LiveContext) -> CheckResult:
    """Every objection answered by its deadline; a marketing objection switched marketing off."""
    return _check_kind(ctx, RequestKind.OBJECTION, _marketing_off)
