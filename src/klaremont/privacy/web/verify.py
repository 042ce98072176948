"""Making a request without signing in (and without cookies): e-mail address, code, done.

The code goes to the address already on the account, never to one typed here; the answer
is the same whether or not the address is a customer's. The code form carries the
request's id and a cookie-free form token, so no cookie is needed at any step.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from klaremont.detectors.cards import never_echoed
from klaremont.errors import KlaremontError
from klaremont.privacy import centre
from klaremont.privacy.web.account import looks_like_an_address
from klaremont.privacy.web.common import Customer, form_ok, page, refused_page
from klaremont.staff.web.guard import public
from klaremont.web import customer_wording as wording
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/privacy", include_in_schema=False, dependencies=[Depends(public())])

CHOICES = [(value, label) for value, (_k, _s, label) in centre.REQUEST_CHOICES.items()]
CODE_FAILED = "That code is not valid: it may be mistyped, used already or expired."


@router.get("/verify")
def verify_page(request: Request, uow: UowDep, customer: Customer, kind: str = "") -> HTMLResponse:
    """The form: which request (none chosen unless a link named one), and the address."""
    del customer
    selected = kind if kind in centre.REQUEST_CHOICES else ""
    if kind == "objection":
        selected = "objection-marketing"
    return page(request, uow, "verify.html", choices=CHOICES, selected=selected)


@router.post("/verify")
async def verify_start(
    *,
    request: Request,
    uow: UowDep,
    customer: Customer,
    email: Annotated[str, Form(max_length=254)],
    kind: Annotated[str, Form(max_length=32)] = "",
    message: Annotated[str, Form(max_length=centre.MESSAGE_MAX)] = "",
) -> Response:
    """Record the request and mail a code to the address on file (the same answer either way)."""
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)

    def record() -> Response:  # database and mail work: in the thread pool, never the loop
        try:
            handle = centre.request_by_email(uow, email, kind, message=message)
        except KlaremontError as exc:
            uow.session.rollback()
            return page(
                request,
                uow,
                "verify.html",
                status_code=exc.status,
                choices=CHOICES,
                selected=kind,
                error=wording.of_error(exc),
                email=email.strip() if looks_like_an_address(email) else "",
                message="" if never_echoed(message) else message,
            )
        finish(uow)
        return page(request, uow, "verify_code.html", handle=handle)

    return await run_in_threadpool(record)


@router.post("/verify/confirm")
async def verify_confirm(
    request: Request,
    uow: UowDep,
    customer: Customer,
    handle: Annotated[uuid.UUID, Form()],
    code: Annotated[str, Form(max_length=32)],
) -> Response:
    """Check the code; the request is then verified and its deadline shown."""
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)

    def check() -> Response:  # database work: in the thread pool, never the loop
        confirmed = centre.confirm_code(uow, handle, code)
        finish(uow)
        if confirmed is None:
            return page(
                request, uow, "verify_code.html", status_code=422, handle=handle, error=CODE_FAILED
            )
        return page(request, uow, "verify_done.html", item=confirmed)

    return await run_in_threadpool(check)
