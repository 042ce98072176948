"""A refusal wins over bad input, whenever the input was found bad.

Invalid input is reported only to a caller allowed to use the route; anyone else gets the
same 401 or 403 (audited) as with valid input, so nobody learns a route's input rules, or
that their input was malformed, without being allowed to call it. Input can be found bad
at two moments:

* while the route's dependencies are solved: the unit of work is open and may hold a
  deferred access check, which is run now (:func:`klaremont.web.deps.settle_deferred_checks`);
* before any dependency ran (a body that is not JSON or not a form at all): no access
  check has run, so the route's own rule is checked now, in a unit of work of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import anyio
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from klaremont.web.deps import client_origin, request_actor, settle_deferred_checks

if TYPE_CHECKING:
    from fastapi import Request

    from klaremont.platform import Platform, UnitOfWork

#: The header a script sends its anti-forgery token in.
CSRF_HEADER = "x-csrf-token"
#: The form field a browser posts it in (every console form carries it).
CSRF_FIELD = "csrf_token"
#: the content types of a posted form (the shell's one list of them)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def presented_token(request: Request) -> str | None:
    """The anti-forgery token sent with the request: the header a script sends, else the
    field of a posted form (read as the route would; a malformed form presents none)."""
    header = request.headers.get(CSRF_HEADER)
    if header or not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return header
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - a malformed form presents no token; the route refuses the body
        return None
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


@runtime_checkable
class AccessCheck(Protocol):
    """A route's access dependency (the staff gate's ``require(...)`` is one): it can be
    asked to decide for a request in a unit of work, without the route running."""

    def check(self, request: Request, uow: UnitOfWork, csrf: str | None) -> object:
        """Decide; raise the refusal (audited) if the caller may not use the route."""
        ...


def _route_guard(request: Request) -> AccessCheck | None:
    """The access dependency the matched route declared, if it has one."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        call: object = dependant.call
        if isinstance(call, AccessCheck):
            return call
        stack.extend(dependant.dependencies)
    return None


async def settle_access(request: Request) -> None:
    """Run the access check of a request refused for its input; raise its refusal."""
    if getattr(request.state, "uow", None) is not None:
        await settle_deferred_checks(request)
        return
    guard = _route_guard(request)
    if guard is None:
        return
    platform: Platform = request.app.state.platform
    # a browser's form carries its token as a field: read from the header alone, a form
    # refused for its input (a NUL in a field) answered "the form expired"
    token = await presented_token(request)

    def run() -> None:
        uow = platform.open_unit_of_work(
            actor=request_actor(request),
            origin=client_origin(request),
            request_id=getattr(request.state, "request_id", None),
        )
        try:
            guard.check(request, uow, token)
        finally:
            uow.abort()

    with anyio.CancelScope(shield=True):
        await run_in_threadpool(run)
