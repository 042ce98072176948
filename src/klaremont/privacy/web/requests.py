"""Privacy-centre pages: my data, my requests (erasure, rectification, restriction, objection,
access, portability), their deadlines, and downloads of prepared copies.

A signed-out visitor sees each page without personal content and a way in: sign in, or
make the request with a code sent to the address on file (:mod:`.verify`). Another
person's request or copy is answered exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from klaremont.detectors.cards import never_echoed
from klaremont.display import uk_date
from klaremont.errors import KlaremontError, NotFound
from klaremont.privacy import centre
from klaremont.privacy.web.common import Customer, form_ok, page, refused_page, see_other
from klaremont.rights import reading
from klaremont.rights.access import HTML_CSP
from klaremont.rights.service import DuplicateRequest
from klaremont.staff.web.guard import public
from klaremont.web import customer_wording as wording
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/privacy", include_in_schema=False, dependencies=[Depends(public())])

CHOICES = [(value, label) for value, (_k, _s, label) in centre.REQUEST_CHOICES.items()]


def _not_found(request: Request, uow: UowDep) -> HTMLResponse:
    message = "There is no such request or copy here. It may belong to another account."
    return page(request, uow, "message.html", status_code=404, title="Not found", message=message)


@router.get("/my-data")
def my_data(request: Request, uow: UowDep, customer: Customer) -> HTMLResponse:
    """Everything held about the signed-in person, and a way to download it."""
    if customer is None:
        return page(request, uow, "my_data.html", copy=None)
    copy = centre.my_data(uow, customer)
    finish(uow)
    return page(request, uow, "my_data.html", copy=copy, sections=reading.present(copy.tables))


@router.post("/my-data/export")
async def export(request: Request, uow: UowDep, customer: Customer) -> Response:
    """Prepare a copy (an access request, fulfilled at once) and show where to download it."""
    if customer is None:
        return see_other("/privacy/sign-in?next=/privacy/my-data")
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)

    def prepare() -> Response:  # database and crypto work: in the thread pool, never the loop
        try:
            made = centre.submit(uow, customer, "access")
        except DuplicateRequest as duplicate:
            finish(uow)
            return see_other(f"/privacy/requests/{duplicate.existing_reference}")
        finish(uow)
        return see_other(f"/privacy/requests/{made.reference}")

    return await run_in_threadpool(prepare)


def _requests_page(
    request: Request,
    uow: UowDep,
    customer: Customer,
    *,
    status_code: int = 200,
    error: str | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    if customer is None:
        return page(request, uow, "requests.html", requests=None, choices=CHOICES)
    return page(
        request,
        uow,
        "requests.html",
        status_code=status_code,
        requests=centre.my_requests(uow, customer),
        choices=CHOICES,
        correctable=centre.correctable_fields(uow, customer),
        error=error,
        typed={name: _kept(text) for name, text in (typed or {}).items()},
    )


def _kept(text: str) -> str:
    """What was typed, to fill the form in again; never card data (it is not echoed)."""
    return "" if never_echoed(text) else text


@router.get("/requests")
def requests_page(request: Request, uow: UowDep, customer: Customer) -> HTMLResponse:
    """The person's requests with their due dates, and the form for a new one."""
    return _requests_page(request, uow, customer)


@router.post("/requests")
async def make_request(
    *,
    request: Request,
    uow: UowDep,
    customer: Customer,
    kind: Annotated[str, Form(max_length=32)] = "",
    message: Annotated[str, Form(max_length=centre.MESSAGE_MAX)] = "",
    field: Annotated[str, Form(max_length=120)] = "",
    value: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record a signed-in request (verified at once: the person is signed in)."""
    if customer is None:
        return see_other("/privacy/verify")
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)
    correction = (field, value) if field else None
    typed = {"kind": kind, "field": field, "value": value, "message": message}

    def record() -> Response:  # database work: in the thread pool, never the loop
        try:
            made = centre.submit(uow, customer, kind, message=message, correction=correction)
        except DuplicateRequest as duplicate:
            finish(uow)
            error = (
                f"You already have a request of this kind open ({duplicate.existing_reference}): "
                f"we will answer it by {uk_date(duplicate.existing_due_on)}. You can follow it "
                "below."
            )
            return _requests_page(request, uow, customer, status_code=409, error=error, typed=typed)
        except KlaremontError as exc:
            uow.session.rollback()
            return _requests_page(
                request,
                uow,
                customer,
                status_code=exc.status,
                error=wording.of_error(exc),
                typed=typed,
            )
        finish(uow)
        return see_other(f"/privacy/requests/{made.reference}?new=1")

    return await run_in_threadpool(record)


@router.get("/requests/{reference}")
def request_page(
    reference: str, request: Request, uow: UowDep, customer: Customer, new: int = 0
) -> Response:
    """One of the person's requests: state, due date, and any copy to download."""
    if customer is None:
        back = quote(f"/privacy/requests/{reference}", safe="/")
        return see_other(f"/privacy/sign-in?next={back}")
    try:
        shown = centre.my_request(uow, customer, centre.request_named(uow, reference))
    except NotFound:
        return _not_found(request, uow)
    notice = f"Your request {shown.reference} is recorded." if new else None
    return page(request, uow, "request.html", item=shown, notice=notice)


@router.get("/requests/{reference}/download")
def download(
    *,
    reference: str,
    request: Request,
    uow: UowDep,
    customer: Customer,
    fmt: str = "json",
    token: str | None = None,
) -> Response:
    """A prepared copy, for its signed-in owner (or by the mailed link, see ``centre.download``)."""
    try:
        request_id = centre.request_named(uow, reference)
        artifact = centre.download(uow, customer, request_id, fmt, token)
    except centre.SignInNeeded:
        back = quote(str(request.url.path) + ("?" + request.url.query if request.url.query else ""))
        return see_other(f"/privacy/sign-in?next={back}")
    except (NotFound, KlaremontError):
        uow.session.rollback()
        return _not_found(request, uow)
    finish(uow)
    headers = {
        "content-disposition": f'attachment; filename="{artifact.filename}"',
        "cache-control": "no-store",
    }
    if artifact.fmt == "html":
        headers["content-security-policy"] = HTML_CSP
    return Response(artifact.content, media_type=artifact.media_type, headers=headers)
