"""``/partner/shares/confirm``: a support partner confirms deletion of the data shared for a
resolved ticket (PP-SUPPORT), with no staff account.

The link's token is the proof: the page shows what was shared (ticket, number of people,
fields, dates) and a form (method, name, "I confirm it is deleted") that posts the token
back with a form token bound to it, so a page from elsewhere cannot post it (the pages'
``form-action 'self'`` policy aside). Plain HTML, no JavaScript. A used, unknown or expired
link gets a plain page saying so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from klaremont.crypto.form_tokens import bound_token, bound_token_valid
from klaremont.errors import ValidationFailed
from klaremont.processors import support_link
from klaremont.staff.web.guard import public
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render

router = APIRouter(prefix="/partner", include_in_schema=False)
LABELS = {
    "method": "How the data was deleted",
    "name": "Your name",
    "confirmed": "I confirm it is deleted",
}
_SALT = "partner-share-confirm"


def _draw(request: Request, state: str, **kw: Any) -> HTMLResponse:
    status = kw.pop("status_code", 200)
    secret = request.app.state.platform.settings.secret_key.get_secret_value()
    token = kw.get("token", "")
    return render(
        "partner/share_confirm.html",
        status_code=status,
        state=state,
        methods={m.value: w for m, w in support_link.METHOD_WORDS.items()},
        form_token=bound_token(secret, _SALT, token) if token else "",
        **kw,
    )


def _show(request: Request, uow: Any, token: str, **kw: Any) -> HTMLResponse:
    try:
        share = support_link.by_token(uow, token)
    except support_link.LinkRefused as exc:
        finish(uow)
        return _draw(request, "refused", error=exc.detail, status_code=410)
    shown = support_link.summary(uow, share)
    finish(uow)
    return _draw(request, "form", share=shown, token=token, **kw)


@router.get("/shares/confirm", dependencies=[Depends(public())])
def confirm_page(request: Request, uow: UowDep, token: str = "") -> HTMLResponse:
    """What was shared, and the form to confirm its deletion."""
    return _show(request, uow, token[:200])


def _again(retry: FormRetry) -> HTMLResponse:
    token = dict(retry.submitted).get("token", "")[:200]
    return retry.read(
        lambda uow: _show(retry.request, uow, token, error="; ".join(retry.errors), status_code=422)
    )


@router.post("/shares/confirm", dependencies=[Depends(public())])
@form_page(_again, LABELS)
def confirm(
    request: Request,
    uow: UowDep,
    token: Annotated[str, Form(max_length=200)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
    method: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=128)] = "",
    confirmed: Annotated[str, Form(max_length=8)] = "",
) -> HTMLResponse:
    """Record the confirmation (once)."""
    secret = uow.platform.settings.secret_key.get_secret_value()
    if not bound_token_valid(secret, _SALT, token, form_token):
        finish(uow)
        return _draw(
            request,
            "refused",
            error="This form did not come from the page we sent. Open the link again.",
            status_code=400,
        )
    try:
        share = support_link.confirm(
            uow, token, method=method, name=name, confirmed=confirmed == "yes"
        )
    except support_link.LinkRefused as exc:
        finish(uow)
        return _draw(request, "refused", error=exc.detail, status_code=410)
    except ValidationFailed as exc:
        uow.session.rollback()
        said = "; ".join(f"{LABELS.get(p.field, p.field)}: {p.rule}" for p in exc.problems)
        return _show(request, uow, token, error=said or exc.detail, status_code=422,
                     typed_name=name, typed_method=method)  # fmt: skip
    ticket = share.ticket
    finish(uow)
    return _draw(request, "done", ticket=ticket)
