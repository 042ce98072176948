"""What every privacy-centre page shares: who is signed in, form checks, cookies, rendering.

Pages work with every cookie refused: without the ``klaremont_customer`` cookie a page
renders for an anonymous visitor (no personalisation) and every form still works, because
a visitor's forms carry a cookie-free signed token (:mod:`klaremont.privacy.tokens`).
Every form post is checked: a cross-site ``Origin`` or ``Sec-Fetch-Site`` is refused, and
the ``csrf_token`` field must be the session's token (signed in) or a valid visitor token.

Cookies hold only random keys (PP-COOKIE) and are always ``HttpOnly``, ``Secure`` and
``SameSite=Lax``. A browser treats ``http://localhost`` as a secure context, so the
development server on localhost keeps the ``Secure`` flag too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from klaremont.privacy import signin
from klaremont.privacy.signin import CustomerPrincipal
from klaremont.privacy.tokens import form_token, form_token_valid, session_csrf_valid
from klaremont.web.deps import UowDep
from klaremont.web.render import render

if TYPE_CHECKING:
    from fastapi import Response

    from klaremont.audit.events import Actor
    from klaremont.platform import UnitOfWork

SESSION_COOKIE = "klaremont_customer"
COOKIE_CHOICE_COOKIE = "klaremont_cookie_choice"
COOKIE_CHOICE_MAX_AGE = 180 * 24 * 3600
CSRF_FIELD = "csrf_token"
_SAFE_FETCH_SITES = frozenset({"same-origin", "none"})
FORM_EXPIRED = "The form expired or did not come from this site. Reload the page and try again."


def current_customer(request: Request, uow: UowDep) -> CustomerPrincipal | None:
    """The signed-in customer, or ``None`` (no cookie, cookies refused, or session ended)."""
    principal = signin.resolve(uow, request.cookies.get(SESSION_COOKIE))
    if principal is not None:
        uow.actor = principal.actor
        request.state.actor = principal.actor
    request.state.customer = principal
    uow.commit_step()  # the route runs in another job: hold no lock meanwhile
    return principal


Customer = Annotated[CustomerPrincipal | None, Depends(current_customer)]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_site(request: Request, public_url: str) -> bool:
    """False for a post another site made the browser send.

    ``Sec-Fetch-Site`` (every current browser) must say same-origin; an ``Origin`` header,
    when it names an origin, must be ours. ``Origin: null`` proves nothing either way (our
    ``Referrer-Policy: no-referrer`` makes browsers send it on our own forms), so it is
    left to ``Sec-Fetch-Site`` and the anti-forgery token.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in _SAFE_FETCH_SITES:
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin.lower() in {_origin(str(request.base_url)), _origin(public_url)}


async def form_ok(request: Request, uow: UnitOfWork, principal: CustomerPrincipal | None) -> bool:
    """True when a form post is not forged: same site, and a valid anti-forgery token."""
    settings = uow.platform.settings
    if not same_site(request, settings.public_url):
        return False
    value = (await request.form()).get(CSRF_FIELD)
    token = value if isinstance(value, str) else None
    secret = settings.secret_key.get_secret_value()
    if principal is not None:
        return session_csrf_valid(secret, principal.key, token)
    return form_token_valid(secret, token, uow.clock.now())


def page(
    request: Request,
    uow: UnitOfWork,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a privacy-centre page with the shared context (who, the form token)."""
    principal: CustomerPrincipal | None = getattr(request.state, "customer", None)
    if principal is not None:
        token = principal.csrf_token
    else:
        token = form_token(uow.platform.settings.secret_key.get_secret_value(), uow.clock.now())
    response = render(
        f"privacy/{template}",
        status_code=status_code,
        signed_in=principal is not None,
        csrf_token=token,
        path=request.url.path,
        **context,
    )
    response.headers["cache-control"] = "no-store"
    return response


def refused_page(request: Request, uow: UnitOfWork) -> HTMLResponse:
    """The answer to a forged or expired form."""
    return page(
        request, uow, "message.html", status_code=403, title="Form refused", message=FORM_EXPIRED
    )


def see_other(path: str) -> RedirectResponse:
    """A 303 See Other to a privacy-centre path."""
    return RedirectResponse(path, status_code=303)


def set_session_cookie(response: Response, key: str) -> None:
    """The sign-in cookie: the random key only; browser-session lifetime."""
    response.set_cookie(
        SESSION_COOKIE, key, path="/privacy", secure=True, httponly=True, samesite="lax"
    )


def clear_session_cookie(response: Response) -> None:
    """Forget the sign-in cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path="/privacy", secure=True, httponly=True, samesite="lax"
    )


def set_choice_cookie(response: Response, key: str) -> None:
    """Remember a visitor's cookie choice by a random key (set only when they allow some)."""
    response.set_cookie(
        COOKIE_CHOICE_COOKIE,
        key,
        max_age=COOKIE_CHOICE_MAX_AGE,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )


def clear_choice_cookie(response: Response) -> None:
    """Forget a visitor's cookie-choice key."""
    response.delete_cookie(
        COOKIE_CHOICE_COOKIE, path="/", secure=True, httponly=True, samesite="lax"
    )


def request_actor(request: Request, uow: UnitOfWork) -> Actor | None:
    """The customer a request's privacy-centre session names (for the card guard's audit)."""
    customer = signin.resolve(uow, request.cookies.get(SESSION_COOKIE))
    return customer.actor if customer is not None else None
