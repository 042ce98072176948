"""The error page a browser gets where a person reads the answer: the staff console, the
privacy centre and the guest wireless portal (everywhere else, and for scripts,
problem+json). Fields are named by their labels, rules in words; customers and guests read
plain English without developer wording (:mod:`klaremont.web.customer_wording`); never a
submitted value or card data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.detectors.card_fields import PAGE_TEXT as CARD_PAGE_TEXT
from klaremont.detectors.cards import redact as mask_card_data
from klaremont.web.customer_wording import SAID_AGAIN, customer_text
from klaremont.web.form_pages import page_staff
from klaremont.web.render import render

if TYPE_CHECKING:
    from fastapi import Request
    from fastapi.responses import Response

    from klaremont.errors import FieldProblem


STAFF_TEMPLATE = "staff/error.html"
_PRIVACY_TEMPLATE = "privacy/message.html"
_WIFI_TEMPLATE = "wifi/message.html"
_PAGE_AREAS = {
    "/staff": STAFF_TEMPLATE,
    "/privacy": _PRIVACY_TEMPLATE,
    "/wifi": _WIFI_TEMPLATE,  # the guest wireless portal: a guest reads it
}
#: pages the public reads: errors in plain English, without developer wording
_PUBLIC_TEMPLATES = frozenset({_PRIVACY_TEMPLATE, _WIFI_TEMPLATE})


def page_template(request: Request) -> str | None:
    """The error page for a browser asking for a staff, privacy-centre or guest wireless
    page, else ``None``."""
    if "text/html" not in request.headers.get("accept", ""):
        return None  # scripts and API clients get problem+json everywhere
    path = request.url.path
    for area, template in _PAGE_AREAS.items():
        if path == area or path.startswith(area + "/"):
            return template
    return None


def _label(field: str, request: Request) -> str:
    if field in request.path_params:  # part of the address, not something the person typed
        return "The page address"
    return field.replace("_", " ").replace(".", " ").capitalize()


def error_page(
    request: Request,
    template: str,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None,
    problems: list[FieldProblem] | None,
    headers: dict[str, str] | None,
) -> Response:
    """The HTML page saying what the problem says: title, detail, status and request id."""
    if problems:  # a person reads this: the field as a label ("Current password")
        detail = "; ".join(
            f"{_label(p.field, request)}: {CARD_PAGE_TEXT.get(p.rule, p.rule)}" for p in problems
        )
    if template in _PUBLIC_TEMPLATES:  # a customer or guest reads it: plain English only
        said = customer_text(
            status=status, code=code, title=title, detail=detail, problems=problems or ()
        )
        title, detail = said.title, said.message
    elif detail and detail.casefold() == title.casefold():  # "Not Found" under "Not found"
        detail = SAID_AGAIN.get(status, detail)
    return render(
        template,
        status_code=status,
        headers=headers,
        title=title,
        detail=detail,
        message=detail or title,
        status=status,
        request_id=getattr(request.state, "request_id", None),
        path=mask_card_data(request.url.path),
        staff=page_staff(request),
    )
