"""Privacy-centre pages: home, the privacy notice, sign-in and sign-out."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from klaremont.consent import notice_reading
from klaremont.consent.notices import notice_in_force
from klaremont.detectors.cards import never_echoed
from klaremont.privacy import signin, throttle
from klaremont.privacy.web.common import (
    Customer,
    clear_session_cookie,
    form_ok,
    page,
    refused_page,
    see_other,
    set_session_cookie,
)
from klaremont.staff.web.guard import public
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/privacy", include_in_schema=False, dependencies=[Depends(public())])

_NEXT = re.compile(r"/privacy/[A-Za-z0-9/_.?=&-]{0,300}")
SIGN_IN_FAILED = (
    "Sign-in failed: the e-mail address or the password is not right, "
    "or the account cannot sign in."
)


def safe_next(value: str | None) -> str:
    """A privacy-centre path to go to after signing in (anything else: my data)."""
    if value and _NEXT.fullmatch(value) and "//" not in value and ".." not in value:
        return value
    return "/privacy/my-data"


@router.get("/")
def home(request: Request, uow: UowDep, customer: Customer) -> HTMLResponse:
    """The privacy centre's front page (works signed out and with cookies refused)."""
    del customer  # resolved for the shared context
    return page(request, uow, "home.html")


@router.get("/notice")
def notice(request: Request, uow: UowDep, customer: Customer) -> HTMLResponse:
    """The privacy notice in force, with its version and hash."""
    del customer
    shown = notice_in_force(uow)
    return page(
        request,
        uow,
        "notice.html",
        notice_row=shown,
        notice_blocks=notice_reading.blocks(shown.text),
    )


@router.get("/sign-in")
def sign_in_page(
    request: Request,
    uow: UowDep,
    customer: Customer,
    next: str | None = None,  # noqa: A002 - the query parameter's name
) -> Response:
    """The sign-in form (signed-in customers go straight on)."""
    target = safe_next(next)
    if customer is not None:
        return see_other(target)
    return page(request, uow, "sign_in.html", next=target)


def looks_like_an_address(text: str) -> bool:
    """Typed into the e-mail field and fit to fill it in again: an address, never card data."""
    cleaned = text.strip()
    return "@" in cleaned and not never_echoed(cleaned)


@router.post("/sign-in")
async def sign_in(
    *,
    request: Request,
    uow: UowDep,
    customer: Customer,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=320)] = "/privacy/my-data",  # noqa: A002 - field name
) -> Response:
    """Check the e-mail address and password; one answer for every failure (a paused
    address included: the page says how pauses work without saying whether one applies).
    """
    target = safe_next(next)
    if customer is not None:
        return see_other(target)
    if not await form_ok(request, uow, None):
        return refused_page(request, uow)

    def check() -> Response:  # database and Argon2 work: in the thread pool, never the loop
        principal = signin.sign_in(uow, email, password)
        finish(uow)
        if principal is None:
            error = f"{SIGN_IN_FAILED} {throttle.pause_notice(uow.policy.customer_signin)}"
            return page(
                request,
                uow,
                "sign_in.html",
                status_code=401,
                error=error,
                next=target,
                email=email.strip() if looks_like_an_address(email) else "",
            )
        response = see_other(target)
        set_session_cookie(response, principal.key)
        return response

    return await run_in_threadpool(check)


@router.post("/sign-out")
async def sign_out(request: Request, uow: UowDep, customer: Customer) -> Response:
    """End the session and forget the cookie."""
    if customer is not None:
        if not await form_ok(request, uow, customer):
            return refused_page(request, uow)
        await run_in_threadpool(signin.sign_out, uow, customer)
    response = see_other("/privacy/")
    clear_session_cookie(response)
    return response
