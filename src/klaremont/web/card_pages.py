"""A console form that held card data comes back as the form, not as an error page.

The card guard refuses card data before any route runs. For a script that is a 422
problem; for a person at a console form (an incident report where a customer read their
card number out) a page with only a way back lost everything typed. When the request is a
browser's on a staff page whose route declared its form page
(:func:`klaremont.web.form_pages.form_page`), the caller's access is checked first, as for
any bad input (a refusal wins), and the form is drawn again naming each field that held
card data, in words. Nothing of a refused field is carried back; the other fields are
carried as any form's are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from klaremont.detectors.card_fields import PAGE_TEXT
from klaremont.errors import KlaremontError
from klaremont.web.form_pages import (
    FormPage,
    FormRetry,
    declared_form_page,
    page_staff,
    submitted_fields,
)
from klaremont.web.problem_pages import STAFF_TEMPLATE, page_template
from klaremont.web.problems import answer
from klaremont.web.refusal_first import settle_access

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import Scope

    from klaremont.detectors.card_fields import Finding


def _matched(routes: Iterable[Any], scope: Scope) -> tuple[Any, Scope] | None:
    """The route that routing would call for ``scope`` and its child scope (an included
    router's routes are looked into: the router itself matches without naming one)."""
    for route in routes:
        match, child = route.matches(scope)
        if match is not Match.FULL:
            continue
        if hasattr(route, "effective_candidates"):
            found = _matched(route.effective_candidates(), scope)
            if found is not None:
                return found
            continue
        return route, child
    return None


def _form_route(request: Request) -> FormPage | None:
    """The form page of the route this request is for (its scope completed as routing
    would: the route, its endpoint and path parameters), or ``None``."""
    found = _matched(request.app.router.routes, request.scope)
    if found is None:
        return None
    route, child = found
    page = declared_form_page(child.get("endpoint") or getattr(route, "endpoint", None))
    if page is not None:
        original = getattr(route, "original_route", route)
        request.scope.update({**child, "route": original})  # for the route's access check
    return page


async def form_again(request: Request, findings: list[Finding]) -> Response | None:
    """The staff form again naming each field that held card data (``None``: not a
    browser on a console form; answer as for any other request)."""
    if page_template(request) != STAFF_TEMPLATE:
        return None
    page = _form_route(request)
    if page is None:
        return None
    try:
        await settle_access(request)  # a refusal wins over bad input
    except (KlaremontError, StarletteHTTPException) as refused:
        return await answer(request, refused)
    refused_fields = {finding.field for finding in findings}
    errors = [f"{page.label(f.field)}: {PAGE_TEXT[f.rule.text]}" for f in findings]
    submitted = await submitted_fields(request)
    retry = FormRetry(
        request=request,
        staff=page_staff(request),
        errors=list(dict.fromkeys(errors)),
        submitted={k: v for k, v in submitted.items() if k not in refused_fields},
    )
    return await run_in_threadpool(page.draw, retry)
