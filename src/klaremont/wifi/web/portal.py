"""``/wifi/login``: the captive portal page, speaking coova-chilli's UAM protocol.

The controller sends the guest here with ``res=notyet`` (or ``failed``) and its
``challenge``, ``uamip``, ``uamport``, ``mac`` and ``userurl``; after a login it sends them
back with ``res=success``. The page works without JavaScript: the hop to the controller's
``/logon`` is a meta refresh with a link beside it (a redirect answering the form would be
stopped by the pages' ``form-action 'self'`` policy).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from klaremont.clock import UK_TIME
from klaremont.crypto.form_tokens import bound_token, bound_token_valid
from klaremont.staff.web.guard import public
from klaremont.web.deps import UowDep, client_origin, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render
from klaremont.wifi import hours, service_portal
from klaremont.wifi.settings import WifiSettings

router = APIRouter(prefix="/wifi", include_in_schema=False)
LABELS = {"code": "Your code", "terms": "I accept the terms of use"}
_SALT = "wifi-login"
TITLES = {
    "form": "Go online",
    "connected": "You are online",
    "connecting": "Connecting",
    "closed": "The wireless network is closed",
    "lost": "Join the network first",
}


def _words(seconds: int) -> str:
    hours_left, rest = divmod(max(0, seconds), 3600)
    minutes = rest // 60
    return f"{hours_left} h {minutes} min" if hours_left else f"{minutes} min"


def _draw(
    request: Request,
    state: str,
    *,
    ctl: service_portal.Controller | None = None,
    error: str | None = None,
    logon_url: str | None = None,
    connected: service_portal.Connected | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    platform = request.app.state.platform
    policy = platform.policy.wifi
    now = platform.clock.now()
    closes = hours.window(policy, now).closes_at
    time_left = None
    if connected is not None and connected.ends_at is not None:
        ends = min(connected.ends_at, closes) if closes else connected.ends_at
        time_left = _words(int((ends - now).total_seconds()))
    secret = platform.settings.secret_key.get_secret_value()
    return render(
        "wifi/login.html",
        status_code=status_code,
        title=TITLES[state],
        state=state,
        ctl=ctl,
        error=error,
        logon_url=logon_url,
        opening=hours.describe(policy),
        closes_at=f"{closes.astimezone(UK_TIME):%H:%M}" if closes else None,
        time_left=time_left,
        userurl=ctl.userurl if ctl else "",
        record_days=policy.login_record_days,
        form_token=bound_token(secret, _SALT, ctl.challenge) if ctl else "",
    )


def _controller(values: dict[str, str]) -> service_portal.Controller | None:
    try:
        return service_portal.controller(
            values.get("uamip", ""),
            values.get("uamport", ""),
            values.get("challenge", ""),
            values.get("mac", ""),
            values.get("userurl", ""),
        )
    except ValueError:
        return None


@router.get("/login", dependencies=[Depends(public())])
def login_page(request: Request, uow: UowDep) -> HTMLResponse:
    """The page a guest meets on joining the network."""
    query = dict(request.query_params)
    result = query.get("res", "notyet")
    ctl = _controller(query)
    if result in {"success", "already"}:
        connected = service_portal.connected(uow, query.get("mac"), client_origin(request))
        finish(uow)
        return _draw(request, "connected", ctl=ctl, connected=connected)
    finish(uow)
    if ctl is None or not service_portal.known_controller(uow, ctl):
        # said before the guest types a code, not after (the login would refuse it)
        return _draw(request, "lost", error=service_portal.REFUSED_CONTROLLER, status_code=400)
    if not hours.window(uow.policy.wifi, uow.clock.now()).open:
        return _draw(request, "closed", ctl=ctl, error=hours.closed_message(uow.policy.wifi))
    error = "That did not work. Check your code and try again." if result == "failed" else None
    return _draw(request, "form", ctl=ctl, error=error)


def _again(retry: FormRetry) -> HTMLResponse:
    ctl = _controller(dict(retry.submitted))
    if ctl is None:
        return _draw(
            retry.request, "lost", error=service_portal.REFUSED_CONTROLLER, status_code=400
        )
    return _draw(retry.request, "form", ctl=ctl, error="; ".join(retry.errors), status_code=422)


@router.post("/login", dependencies=[Depends(public())])
@form_page(_again, LABELS)
def log_in(
    request: Request,
    uow: UowDep,
    code: Annotated[str, Form(max_length=32)] = "",
    terms: Annotated[str, Form(max_length=8)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
    uamip: Annotated[str, Form(max_length=45)] = "",
    uamport: Annotated[str, Form(max_length=5)] = "",
    challenge: Annotated[str, Form(max_length=64)] = "",
    mac: Annotated[str, Form(max_length=32)] = "",
    userurl: Annotated[str, Form(max_length=512)] = "",
) -> HTMLResponse:
    """Check the code; send the browser on to the controller's logon, or say why not."""
    values = {
        "uamip": uamip,
        "uamport": uamport,
        "challenge": challenge,
        "mac": mac,
        "userurl": userurl,
    }
    ctl = _controller(values)
    secret = uow.platform.settings.secret_key.get_secret_value()
    if ctl is None or not bound_token_valid(secret, _SALT, ctl.challenge, form_token):
        finish(uow)
        return _draw(request, "lost", error=service_portal.REFUSED_CONTROLLER, status_code=400)
    uam = WifiSettings().uam_secret
    outcome = service_portal.log_in(
        uow,
        ctl,
        typed_code=code,
        terms_accepted=terms == "yes",
        client_ip=client_origin(request),
        uam_secret=uam.get_secret_value() if uam else None,
    )
    finish(uow)
    if outcome.logon_url is None:
        return _draw(request, "form", ctl=ctl, error=outcome.refusal, status_code=401)
    return _draw(request, "connecting", ctl=ctl, logon_url=outcome.logon_url)
