"""The actions on a data subject request's case page, each a form posting to the same
service as the API route of the same name (DP-PROMPT, DP-DPO).

Each action needs ``dsr:manage`` (an erasure also ``customers:erase``), as in the API, and
goes through :meth:`_Case.act`: a service's refusal draws the case page again with its message;
a refusal that must stay on record (a wrong code, a blocked erasure) is committed first, as
the API does; otherwise nothing the refused action began is kept. Stopping and restarting
the clock while waiting for the requester are actions like the others
(:mod:`klaremont.rights.pauses`).
"""

# ruff: noqa: FAST003 - each route's {reference} is read by its Case dependency (_managed)
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.customers.permissions import CustomerPermission
from klaremont.errors import KlaremontError, NotFound, ValidationFailed
from klaremont.rights import changes, erasure, fulfil, intake, pauses, service
from klaremont.rights.identity import verification_failed
from klaremont.rights.permissions import RightsPermission
from klaremont.rights.states import PauseReason
from klaremont.rights.web.views import case_view, draw_case
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, commit_now, finish
from klaremont.web.form_pages import FormRetry, form_page

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest

router = APIRouter(prefix="/staff", include_in_schema=False)

ManagePage = Annotated[StaffPrincipal, Depends(require(RightsPermission.DSR_MANAGE, page=True))]
ErasePage = Annotated[
    StaffPrincipal,
    Depends(require(RightsPermission.DSR_MANAGE, CustomerPermission.CUSTOMERS_ERASE, page=True)),
]
#: What the case page says was done after each action (``?done=``, words in ``views``).
DONE = {
    "verify": "verified",
    "verify-document": "verified",
    "resend-code": "code-sent",
    "extend": "extended",
    "refuse": "refused",
    "decide": "decided",
    "fulfil": "fulfilled",
    "pause": "paused",
    "resume": "resumed",
}
LABELS: dict[str, dict[str, str]] = {
    "verify": {"code": "Code the requester read back"},
    "verify-document": {"reason": "Documents seen"},
    "extend": {"months": "Extend by (months)", "reason": "Reason for the extension"},
    "refuse": {"reason": "Reason for refusing"},
    "decide": {"decision": "Decision", "reason": "Reason for the decision"},
    "fulfil": {
        "recipient_url": "Send the copy to (another organisation's address, optional)",
        "recipient_country": "Recipient's country (two letters, e.g. GB)",
    },
    "pause": {"reason": "Why the clock stops", "note": "What is needed (required for other)"},
}


def _again(action: str) -> Callable[[FormRetry], HTMLResponse]:
    def draw(retry: FormRetry) -> HTMLResponse:
        reference = str(retry.request.path_params.get("reference", ""))
        try:
            view: dict[str, Any] | None = retry.read(lambda uow: case_view(uow, reference))
        except KlaremontError:
            view = None
        return draw_case(
            retry.staff,
            reference,
            view,
            error="; ".join(retry.errors),
            status_code=422,
            only=None if view is not None else action,
        )

    return draw


def _labelled(action: str) -> Mapping[str, str]:
    return LABELS.get(action, {})


def _refused(
    uow: UnitOfWork, staff: StaffPrincipal, reference: str, exc: KlaremontError, action: str
) -> HTMLResponse:
    """The case page again with the service's refusal (nothing of the action kept)."""
    uow.session.rollback()
    labels = _labelled(action)
    said = (
        "; ".join(f"{labels.get(p.field, p.field)}: {p.rule}" for p in exc.problems)
        if exc.problems
        else exc.detail
    )
    try:
        view: dict[str, Any] | None = case_view(uow, reference)
    except NotFound:
        view = None
    finish(uow)
    return draw_case(staff, reference, view, error=said, status_code=exc.status, only=action)


@dataclass(frozen=True)
class _Case:
    """One action on a case: the request's reference, who acts, and the unit of work."""

    reference: str
    staff: StaffPrincipal
    uow: UnitOfWork

    def act(self, action: str, work: Callable[[RightsRequest], object]) -> Response:
        """Run ``work`` on the request: on success commit and send the browser to the case
        page saying what was done; on a service's refusal, the case page again with the
        refusal and its status (nothing of the action kept)."""
        try:
            work(service.find(self.uow, self.reference))
        except KlaremontError as exc:
            return _refused(self.uow, self.staff, self.reference, exc, action)
        finish(self.uow)
        done = f"/staff/requests/{self.reference}?done={DONE[action]}"
        return RedirectResponse(done, status_code=303)


def _managed(reference: str, staff: ManagePage, uow: UowDep) -> _Case:
    return _Case(reference, staff, uow)


Case = Annotated[_Case, Depends(_managed)]  # needs dsr:manage, like every decision
Reason = Annotated[str, Form(min_length=3, max_length=500)]


def _code_read_back(uow: UnitOfWork, code: str) -> Callable[[RightsRequest], None]:
    def work(found: RightsRequest) -> None:
        if not intake.confirm_staff_code(uow, found, code):
            commit_now(uow)  # the failed attempt stays on record
            raise verification_failed()

    return work


def _paused_for(uow: UnitOfWork, reason: str, note: str) -> Callable[[RightsRequest], object]:
    def work(found: RightsRequest) -> object:
        try:
            why = PauseReason(reason)
        except ValueError:
            raise ValidationFailed.single("reason", "choose one of the reasons offered") from None
        return pauses.pause(uow, found, why, note)

    return work


@router.post("/requests/{reference}/verify")
@form_page(_again("verify"), LABELS["verify"])
def verify_page(case: Case, code: Annotated[str, Form(min_length=6, max_length=32)]) -> Response:
    """The code the caller read back (a wrong code is counted and audited)."""
    return case.act("verify", _code_read_back(case.uow, code))


@router.post("/requests/{reference}/verify-document")
@form_page(_again("verify-document"), LABELS["verify-document"])
def verify_document_page(case: Case, reason: Reason) -> Response:
    """Identity confirmed from documents; the note is sealed with the request."""
    return case.act("verify-document", partial(intake.verify_by_document, case.uow, reason=reason))


@router.post("/requests/{reference}/resend-code")
def resend_code_page(case: Case) -> Response:
    """A fresh code to the address on the account."""
    return case.act("resend-code", partial(service.resend_code, case.uow))


@router.post("/requests/{reference}/extend")
@form_page(_again("extend"), LABELS["extend"])
def extend_page(
    case: Case, months: Annotated[str, Form(min_length=1, max_length=2)], reason: Reason
) -> Response:
    """Extend the deadline with a reason; the requester is told."""
    count = int(months) if months.isdigit() else 0
    return case.act("extend", partial(service.extend, case.uow, months=count, reason=reason))


@router.post("/requests/{reference}/refuse")
@form_page(_again("refuse"), LABELS["refuse"])
def refuse_page(case: Case, reason: Reason) -> Response:
    """Refuse with the reason the requester is given (kept sealed)."""
    return case.act("refuse", partial(service.refuse, case.uow, reason=reason))


@router.post("/requests/{reference}/decide")
@form_page(_again("decide"), LABELS["decide"])
def decide_page(
    case: Case, decision: Annotated[str, Form(min_length=1, max_length=8)], reason: Reason
) -> Response:
    """The DPO upholds (processing restricted) or rejects an objection to holding the data."""
    if decision not in {"uphold", "reject"}:
        refused = service.TransitionRefused("choose to uphold or to reject the objection")
        return _refused(case.uow, case.staff, case.reference, refused, "decide")
    uphold = decision == "uphold"
    return case.act(
        "decide", partial(changes.decide_objection, case.uow, uphold=uphold, reason=reason)
    )


@router.post("/requests/{reference}/fulfil")
@form_page(_again("fulfil"), LABELS["fulfil"])
def fulfil_page(
    case: Case,
    recipient_url: Annotated[str, Form(max_length=2000)] = "",
    recipient_country: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Do what the request asks (not an erasure: see erase)."""
    recipient = recipient_url.strip() or None
    country = recipient_country.strip() or None
    return case.act(
        "fulfil",
        lambda found: fulfil.fulfil(
            case.uow, found.id, recipient_url=recipient, recipient_country=country
        ),
    )


@router.post("/requests/{reference}/pause")
@form_page(_again("pause"), LABELS["pause"])
def pause_page(
    case: Case,
    reason: Annotated[str, Form(min_length=1, max_length=16)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Stop the clock while waiting for the requester; they are told what is needed."""
    return case.act("pause", _paused_for(case.uow, reason, note))


@router.post("/requests/{reference}/resume")
def resume_page(case: Case) -> Response:
    """Start the clock again; the due date moves by the days it was paused."""
    return case.act("resume", partial(pauses.resume, case.uow))


@router.post("/requests/{reference}/erase")
def erase_page(reference: str, staff: ErasePage, uow: UowDep) -> Response:
    """Carry out an erasure; the page shows what was deleted and what is kept, and why."""
    try:
        found = service.find(uow, reference)
        reply = erasure.erase(uow, found.id)
    except erasure.ErasureBlocked as blocked:
        uow.keep_only_refusal(partial(erasure.record_blocked, uow, found.id, blocked))
        view = case_view(uow, reference)
        finish(uow)
        return draw_case(staff, reference, view, error=blocked.detail, status_code=blocked.status)
    except KlaremontError as exc:
        return _refused(uow, staff, reference, exc, "erase")
    erased = {
        "deleted": dict(reply.deleted),
        "retained": dict(reply.retained),
        "hold_until": reply.hold_until,
        "shred_due_at": reply.shred_due_at,
    }
    view = case_view(uow, reference)
    finish(uow)
    return draw_case(staff, reference, view, erased=erased, notice="Erasure carried out.")
