"""Privacy-centre pages: marketing choices per channel, and cookie choices.

Marketing needs a signed-in customer (otherwise the page offers an objection by e-mail
code). Cookie choices work for everybody: a signed-in choice is recorded against the
person; a visitor who allows an optional category gets a random-key cookie the choice is
recorded against; a visitor who refuses everything gets no cookie at all.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from klaremont.consent import service as consent
from klaremont.consent.models import (
    OPTIONAL_COOKIE_CATEGORIES,
    ConsentMethod,
    ConsentSource,
    CookieCategory,
)
from klaremont.consent.objection import lift_objection
from klaremont.db.subjects import Subject
from klaremont.policy.purposes import MarketingChannel
from klaremont.privacy.tokens import new_key
from klaremont.privacy.web.common import (
    COOKIE_CHOICE_COOKIE,
    Customer,
    clear_choice_cookie,
    form_ok,
    page,
    refused_page,
    see_other,
    set_choice_cookie,
)
from klaremont.staff.web.guard import public
from klaremont.web.deps import UowDep, finish

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.datastructures import FormData

    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/privacy", include_in_schema=False, dependencies=[Depends(public())])

CHANNEL_LABELS = (
    (MarketingChannel.EMAIL.value, "E-mail"),
    (MarketingChannel.POST.value, "Post"),
    (MarketingChannel.PHONE.value, "Telephone"),
    (MarketingChannel.SMS.value, "Text message (SMS)"),
)
COOKIE_LABELS = (
    (CookieCategory.PREFERENCES.value, "Preferences: remember choices such as your region"),
    (CookieCategory.ANALYTICS.value, "Analytics: count visits to improve the site"),
)
_KEY = re.compile(r"[A-Za-z0-9_-]{43}")
WEB = consent.Proof(ConsentMethod.WEB_FORM, ConsentSource.PRIVACY_CENTRE)


def _checked(form: FormData, name: str) -> bool:
    return form.get(name) == "yes"


def _browser_key(request: Request) -> str | None:
    """The visitor's cookie-choice key, if the cookie holds one of ours."""
    key = request.cookies.get(COOKIE_CHOICE_COOKIE)
    return key if key and _KEY.fullmatch(key) else None


@router.get("/marketing")
def marketing_page(
    request: Request, uow: UowDep, customer: Customer, saved: int = 0
) -> HTMLResponse:
    """Marketing choices per channel, with the history of changes."""
    if customer is None:
        return page(request, uow, "marketing.html")
    subject = uow.session.get(Subject, customer.subject_id)
    state = consent.marketing_state(uow.session, customer.subject_id)
    history = [
        e
        for e in consent.consent_history(uow.session, customer.subject_id)
        if e.kind == "marketing"
    ]
    return page(
        request,
        uow,
        "marketing.html",
        channels=CHANNEL_LABELS,
        state={str(k): v for k, v in state.items()},
        history=history,
        objected=subject is not None and subject.marketing_objection_at is not None,
        restricted=subject is not None and subject.restricted_at is not None,
        notice="Your marketing choices are saved." if saved else None,
    )


@router.post("/marketing")
async def marketing_save(request: Request, uow: UowDep, customer: Customer) -> Response:
    """Record the channel choices (only the ones that changed)."""
    if customer is None:
        return see_other("/privacy/marketing")
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)
    form = await request.form()
    choices = {ch: _checked(form, ch.value) for ch in MarketingChannel}
    await run_in_threadpool(
        _save, lambda: consent.record_marketing(uow, customer.subject_id, choices, WEB), uow
    )
    return see_other("/privacy/marketing?saved=1")


@router.post("/marketing/withdraw")
async def marketing_withdraw(request: Request, uow: UowDep, customer: Customer) -> Response:
    """Stop all marketing in one click."""
    if customer is None:
        return see_other("/privacy/marketing")
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)
    await run_in_threadpool(
        _save, lambda: consent.withdraw_marketing(uow, customer.subject_id, WEB), uow
    )
    return see_other("/privacy/marketing?saved=1")


@router.post("/marketing/lift-objection")
async def marketing_lift_objection(request: Request, uow: UowDep, customer: Customer) -> Response:
    """The person lifts their own objection to marketing (channels stay off until chosen)."""
    if customer is None:
        return see_other("/privacy/marketing")
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)
    await run_in_threadpool(_save, lambda: lift_objection(uow, customer.subject_id), uow)
    return see_other("/privacy/marketing?saved=1")


@router.get("/cookies")
def cookies_page(request: Request, uow: UowDep, customer: Customer, saved: int = 0) -> HTMLResponse:
    """Cookie choices by category; works without any cookie."""
    browser_key = _browser_key(request)
    if customer is not None:
        state = consent.cookie_state(uow.session, subject_id=customer.subject_id)
        history = [
            e
            for e in consent.consent_history(uow.session, customer.subject_id)
            if e.kind == "cookie"
        ]
    else:
        state = consent.cookie_state(uow.session, browser_key=browser_key)
        history = []
    return page(
        request,
        uow,
        "cookies.html",
        categories=COOKIE_LABELS,
        state={str(k): v for k, v in state.items()},
        history=history,
        notice="Your cookie choices are saved." if saved else None,
    )


@router.post("/cookies")
async def cookies_save(request: Request, uow: UowDep, customer: Customer) -> Response:
    """Record cookie choices; refusing everything as a visitor sets no cookie."""
    if not await form_ok(request, uow, customer):
        return refused_page(request, uow)
    form = await request.form()
    refuse_all = form.get("action") == "refuse"
    choices = {
        cat: not refuse_all and _checked(form, cat.value) for cat in OPTIONAL_COOKIE_CATEGORIES
    }
    response = see_other("/privacy/cookies?saved=1")
    if customer is not None:
        subject_id = customer.subject_id
        await run_in_threadpool(
            _save,
            lambda: consent.record_cookie_choices(uow, choices, WEB, subject_id=subject_id),
            uow,
        )
        return response
    browser_key = _browser_key(request)
    if any(choices.values()):
        browser_key = browser_key or new_key()
        set_choice_cookie(response, browser_key)
    elif browser_key:
        clear_choice_cookie(response)
    if browser_key:
        key = browser_key
        await run_in_threadpool(
            _save, lambda: consent.record_cookie_choices(uow, choices, WEB, browser_key=key), uow
        )
    return response


def _save(change: Callable[[], object], uow: UnitOfWork) -> None:
    """Make a change and commit it, in the thread pool (database work never runs on the loop)."""
    change()
    finish(uow)
