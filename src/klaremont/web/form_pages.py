"""A console form refused for its input is shown again, saying which field broke which rule.

FastAPI checks a route's ``Form()`` fields before the route runs; when one is missing, too
long, of the wrong type or holds a control character (:mod:`klaremont.web.input_text`),
the route never runs and :mod:`klaremont.web.problems` answers. For a browser on a page
whose route declared its form (:func:`form_page`), that answer is the form's own page again
(status 422), the error naming each field by the label the person read on the form and the
rule in plain words, never the value typed.

The request's unit of work has ended by then (the validation error rolled it back and
released the session), so the page is drawn from plain values (:class:`PageStaff`), never
from an ORM instance of that unit of work: reading one there is what turned a validation
error into a 500 (a detached instance). A page that needs the database (a report beside
the form) reads it in a unit of work of its own (:meth:`FormRetry.read`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from klaremont.web.deps import client_origin, request_actor

if TYPE_CHECKING:
    from fastapi import Request
    from fastapi.responses import HTMLResponse

    from klaremont.platform import Platform, UnitOfWork

T = TypeVar("T")
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_ATTRIBUTE = "__klaremont_form_page__"


@dataclass(frozen=True)
class PageStaff:
    """What a console page shows of the signed-in staff member: plain values only, so a page
    drawn after the request's unit of work ended never reads the database."""

    username: str
    permissions: frozenset[str]
    csrf_token: str | None = field(repr=False)
    account_id: uuid.UUID | None = None
    must_change_password: bool = False


def remember_staff(request: Request) -> None:
    """Keep the signed-in staff member as plain values, read now while their unit of work
    is open (the access check calls this as it admits them)."""
    staff = request.state.staff
    request.state.page_staff = PageStaff(
        username=str(staff.username),
        permissions=frozenset(str(p) for p in staff.permissions),
        csrf_token=staff.csrf_token,
        account_id=staff.account_id,
        must_change_password=bool(staff.must_change_password),
    )


def page_staff(request: Request) -> PageStaff | None:
    """The signed-in staff member of this request as plain values (``None`` if nobody)."""
    kept: PageStaff | None = getattr(request.state, "page_staff", None)
    staff = getattr(request.state, "staff", None)
    if kept is not None or staff is None:
        return kept
    return PageStaff(
        username=str(staff.username),
        permissions=frozenset(str(p) for p in staff.permissions),
        csrf_token=staff.csrf_token,
        account_id=getattr(staff, "account_id", None),
        # only if still loaded: never a lazy load from a unit of work that has ended
        must_change_password=_loaded_flag(getattr(staff, "session", None), "must_change_password"),
    )


def _loaded_flag(row: object, name: str) -> bool:
    """An attribute of an ORM row only if already loaded (never a lazy load)."""
    if row is None:
        return False
    loaded: dict[str, Any] = getattr(row, "__dict__", {})
    return bool(loaded.get(name, False))


@dataclass(frozen=True)
class FormRetry:
    """What a form page needs to show itself again: the request, who is signed in, and the
    errors as sentences ("New password again: must be filled in")."""

    request: Request
    staff: PageStaff | None
    errors: list[str]
    #: the text fields as submitted: for a hidden field to carry on (a return path, checked
    #: again by the page), never to show what a person typed
    submitted: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def platform(self) -> Platform:
        """The platform the app was built with."""
        platform: Platform = self.request.app.state.platform
        return platform

    def read(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` (what the page shows beside the form) in a unit of work of its own,
        as this request's caller: committed, so an audited read is recorded as on the page
        itself; rolled back if it fails."""
        with self.platform.unit_of_work(
            actor=request_actor(self.request),
            origin=client_origin(self.request),
            request_id=getattr(self.request.state, "request_id", None),
        ) as uow:
            return work(uow)


@dataclass(frozen=True)
class FormPage:
    """A form's page: how to draw it again, and the label each field has on it."""

    draw: Callable[[FormRetry], HTMLResponse]
    labels: Mapping[str, str]

    def label(self, name: str) -> str:
        """The field as the form labels it; a readable fallback for a field it does not."""
        return self.labels.get(name) or name.replace("_", " ").capitalize()


def form_page(
    draw: Callable[[FormRetry], HTMLResponse], labels: Mapping[str, str]
) -> Callable[[Endpoint], Endpoint]:
    """Declare a form route's page: ``draw`` shows it again with errors (status 422);
    ``labels`` are its fields' labels as the form shows them (``{"code": "Your code"}``).

    Put it below ``@router.post(...)``: it marks the endpoint function itself.
    """
    page = FormPage(draw=draw, labels=dict(labels))

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _ATTRIBUTE, page)
        return endpoint

    return mark


def declared_form_page(endpoint: object) -> FormPage | None:
    """The form page a route's endpoint declared with :func:`form_page`, if any."""
    page = getattr(endpoint, _ATTRIBUTE, None)
    return page if isinstance(page, FormPage) else None


def form_page_of(request: Request) -> FormPage | None:
    """The form page the matched route declared, if any."""
    return declared_form_page(getattr(request.scope.get("route"), "endpoint", None))


async def submitted_fields(request: Request) -> dict[str, str]:
    """The request's form text fields (parsed once per request; nothing if it was no form)."""
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - a body that is no form: nothing to carry on
        return {}
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def plain_rule(error: Mapping[str, Any]) -> str:
    """A validation error's rule in plain words, never its input value (only the limits of
    the rule are read from its context)."""
    kind = str(error.get("type", ""))
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return "must be filled in"
    if kind == "string_too_long":
        return f"must be at most {int(context.get('max_length', 0))} characters"
    if kind == "string_too_short":
        return f"must be at least {int(context.get('min_length', 0))} characters"
    if kind.startswith("uuid"):
        return "is not a reference this form gave; reload the page and try again"
    if kind in _LIMITS:
        return _LIMITS[kind].format(*context.values())
    return _PLAIN.get(kind) or str(error.get("msg", "is not valid"))


#: pydantic's wording of a type a form field must have, as a person reads it
_PLAIN = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be yes or no",
    "date_parsing": "must be a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date written YYYY-MM-DD",
    "datetime_parsing": "must be a date and time such as 2026-03-02T09:30",
    "enum": "must be one of the choices offered",
    "literal_error": "must be one of the choices offered",
}
#: limits of a number, the limit read from the rule (never the value typed)
_LIMITS = {
    "greater_than_equal": "must be at least {}",
    "greater_than": "must be more than {}",
    "less_than_equal": "must be at most {}",
    "less_than": "must be less than {}",
}


def field_of(loc: tuple[int | str, ...]) -> str:
    """The form field a validation error's location names (``("body", "code")`` -> ``code``)."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "form"
