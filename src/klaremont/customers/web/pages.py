"""Customer look-up in the staff console: find a person, then the single customer view.

Thin over the same services as ``/api/customers``: a search is
:func:`~klaremont.customers.service.search_customers` (blind index, exact match), the view
is :func:`~klaremont.customers.service.customer_view` and a correction is
:func:`~klaremont.customers.service.rectify_customer`, each with an
:class:`~klaremont.customers.access.Access` naming the purpose the staff member chose and
their roles. So the purpose check, need-to-know and the audit are the API's own: nothing
about a customer is shown before a purpose is chosen, and a refusal is audited by the
service and said plainly here. E-mail addresses and phone numbers are POSTed, never put
in a URL.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from klaremont.customers import service
from klaremont.customers.access import Access
from klaremont.customers.permissions import CustomerPermission
from klaremont.customers.schemas import CustomerUpdate
from klaremont.customers.web.words import (
    BASIS_WORDS,
    CATEGORY_WORDS,
    PURPOSE_WORDS,
    birth_date,
    day,
    parse_purpose,
    purpose_choices,
    refusal_words,
    review_words,
)
from klaremont.errors import KlaremontError, PurposeRefused, ValidationFailed
from klaremont.policy.purposes import Purpose
from klaremont.purposes.register import REGISTER
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, PageStaff, form_page
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(CustomerPermission.CUSTOMERS_READ, page=True))]
UpdatePage = Annotated[
    StaffPrincipal,
    Depends(
        require(CustomerPermission.CUSTOMERS_READ, CustomerPermission.CUSTOMERS_UPDATE, page=True)
    ),
]
#: Purposes a customer look-up can serve (security reads staff data, not customers).
LOOKUP_PURPOSES = tuple(p for p in Purpose if p is not Purpose.SECURITY)
SEARCH_BY = {"reference": "Customer reference", "email": "E-mail address", "phone": "Phone number"}
#: The details a correction may change, by label, with the category each belongs to.
CORRECTABLE = {
    "name": ("Name", "identity"),
    "date_of_birth": ("Date of birth (YYYY-MM-DD)", "identity"),
    "email": ("E-mail address", "contact"),
    "phone": ("Phone", "contact"),
    "mobile": ("Mobile", "contact"),
}
SEARCH_LABELS = {"by": "Find by", "value": "Looking for", "purpose": "Why you need it"}
REFERENCE_MAX = 16
CORRECT_LABELS = {
    "reference": "Customer reference",
    "purpose": "Why you need it",
    "field": "Detail to correct",
    "value": "New value",
}


def _choices(roles: Any) -> list[tuple[str, str]]:
    return purpose_choices(roles, LOOKUP_PURPOSES)


def _search_page(
    staff: StaffPrincipal | PageStaff | None,
    choices: list[tuple[str, str]],
    *,
    status_code: int = 200,
    error: str | None = None,
    results: list[Any] | None = None,
    chosen: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        "staff/customers.html",
        status_code=status_code,
        staff=staff,
        choices=choices,
        search_by=SEARCH_BY,
        error=error,
        results=results,
        chosen=chosen or {},
        day=day,
    )


@router.get("/customers")
def customers_page(staff: ReadPage) -> HTMLResponse:
    """The look-up form: nothing about any customer until a search and a purpose are given."""
    return _search_page(staff, _choices(staff.roles))


def _search_again(retry: FormRetry) -> HTMLResponse:
    roles = retry.read(_roles_of)
    return _search_page(
        retry.staff, _choices(roles), status_code=422, error="; ".join(retry.errors)
    )


def _roles_of(uow: Any) -> frozenset[Any]:
    from klaremont.purposes.decide import actor_roles  # noqa: PLC0415 - only when drawn again

    return actor_roles(uow) or frozenset()


@router.post("/customers/search")
@form_page(_search_again, SEARCH_LABELS)
def customers_search(
    staff: ReadPage,
    uow: UowDep,
    by: Annotated[str, Form(max_length=16)] = "",
    value: Annotated[str, Form(max_length=254)] = "",
    purpose: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Search by reference, e-mail or phone (exact match) for the chosen purpose."""
    choices = _choices(staff.roles)
    chosen = {"by": by if by in SEARCH_BY else "email", "purpose": purpose}
    wanted = parse_purpose(purpose)
    problems = []
    if wanted is None:
        problems.append("Why you need it: choose why you are looking this customer up")
    if by not in SEARCH_BY:
        problems.append(f"Find by: one of {', '.join(SEARCH_BY.values()).lower()}")
    if not value.strip():
        problems.append("Looking for: must be filled in")
    if problems or wanted is None:
        return _search_page(
            staff, choices, status_code=422, error="; ".join(problems), chosen=chosen
        )
    if by == "reference":
        reference = value.strip().upper()
        if not reference.isalnum():
            return _search_page(
                staff,
                choices,
                status_code=422,
                error="Looking for: a reference is letters and digits, like C0000001",
                chosen=chosen,
            )
        return RedirectResponse(
            f"/staff/customers/{quote(reference)}?purpose={wanted.value}", status_code=303
        )
    try:
        found = service.search_customers(
            uow,
            Access(wanted, staff.roles),
            email=value if by == "email" else None,
            phone=value if by == "phone" else None,
        )
    except PurposeRefused as exc:
        return _search_page(
            staff, choices, status_code=403, error=refusal_words(exc, wanted), chosen=chosen
        )
    finish(uow)
    return _search_page(staff, choices, results=found, chosen=chosen)


def _view_page(
    staff: StaffPrincipal | PageStaff | None,
    uow: UowDep,
    reference: str,
    purpose: Purpose,
    *,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    """Read the view (audited by the service), commit, draw it; a refusal said plainly."""
    roles = getattr(staff, "roles", None)
    access = Access(purpose, roles) if roles is not None else Access(purpose)
    try:
        view = service.customer_view(uow, reference, access)
    except PurposeRefused as exc:
        return _refused(staff, reference, purpose, refusal_words(exc, purpose))
    finish(uow)
    shown = {c.value for c in view.shown}
    can_correct = CustomerPermission.CUSTOMERS_UPDATE in getattr(staff, "permissions", ())
    return render(
        "staff/customers_view.html",
        status_code=status_code,
        staff=staff,
        reference=reference,
        view=view,
        purpose=purpose,
        purpose_words=PURPOSE_WORDS[purpose],
        withheld=[
            words
            for key, words in CATEGORY_WORDS.items()
            if key not in shown
            and key in {c.value for c in REGISTER[Purpose.LEGAL_OBLIGATION].categories}
        ],
        correctable={
            name: label
            for name, (label, category) in CORRECTABLE.items()
            if can_correct and category in shown
        },
        error=error,
        notice=notice,
        day=day,
        birth_date=birth_date,
        basis_words=BASIS_WORDS,
        review_words=review_words,
    )


def _refused(
    staff: StaffPrincipal | PageStaff | None, reference: str, purpose: Purpose, said: str
) -> HTMLResponse:
    return render(
        "staff/customers_view.html",
        status_code=403,
        staff=staff,
        reference=reference,
        view=None,
        purpose=purpose,
        purpose_words=PURPOSE_WORDS[purpose],
        refused=said,
        day=day,
    )


@router.get("/customers/{reference}")
def customer_page(
    reference: str, staff: ReadPage, uow: UowDep, purpose: str | None = None, corrected: str = ""
) -> HTMLResponse:
    """The single customer view for the chosen purpose; without one, only the choice."""
    wanted = parse_purpose(purpose)
    reference = reference.strip().upper()[:16]
    if wanted is None:
        return render(
            "staff/customers_view.html",
            status_code=422 if purpose else 200,
            staff=staff,
            reference=reference,
            view=None,
            purpose=None,
            choices=_choices(staff.roles),
            error="Why you need it: choose a purpose from the list" if purpose else None,
        )
    label = CORRECTABLE.get(corrected, (None, None))[0]
    notice = f"Saved: {label.split(' (')[0].lower()} corrected." if label else None
    return _view_page(staff, uow, reference, wanted, notice=notice)


def _correct_again(retry: FormRetry) -> HTMLResponse:
    """The correction form on a page of its own, naming the field that broke its rule."""
    reference = retry.submitted.get("reference", "")
    return render(
        "staff/customers_correct.html",
        status_code=422,
        staff=retry.staff,
        reference=reference if reference.isalnum() and len(reference) <= REFERENCE_MAX else "",
        purpose=parse_purpose(retry.submitted.get("purpose")),
        choices=[(p.value, PURPOSE_WORDS[p]) for p in LOOKUP_PURPOSES],
        correctable={name: label for name, (label, _) in CORRECTABLE.items()},
        error="; ".join(retry.errors),
    )


@router.post("/customers/correct")
@form_page(_correct_again, CORRECT_LABELS)
def customer_correct(
    staff: UpdatePage,
    uow: UowDep,
    reference: Annotated[str, Form(max_length=REFERENCE_MAX)],
    purpose: Annotated[str, Form(max_length=32)],
    field: Annotated[str, Form(max_length=32)],
    value: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """Correct one detail through the same rectification service as the API (audited)."""
    reference = reference.strip().upper()
    wanted = parse_purpose(purpose)
    if wanted is None or not reference.isalnum():
        return render(
            "staff/customers_correct.html",
            status_code=422,
            staff=staff,
            reference=reference if reference.isalnum() else "",
            purpose=None,
            choices=[(p.value, PURPOSE_WORDS[p]) for p in LOOKUP_PURPOSES],
            correctable={name: label for name, (label, _) in CORRECTABLE.items()},
            error=(
                "Why you need it: choose why you need the record"
                if wanted is None
                else "Customer reference: letters and digits, like C0000001"
            ),
        )
    label = CORRECTABLE.get(field, (CORRECT_LABELS["field"], ""))[0]
    try:
        if field not in CORRECTABLE:
            raise ValidationFailed.single("field", "not a detail this page can correct")
        text = value.strip()
        try:
            changes = CustomerUpdate.model_validate({field: text or None})
        except ValidationError as exc:
            rule = exc.errors()[0].get("msg", "is not valid")
            raise ValidationFailed.single(field, f"{label}: {rule}") from None
        service.rectify_customer(uow, reference, changes, Access(wanted, staff.roles))
    except PurposeRefused as exc:
        return _refused(staff, reference, wanted, refusal_words(exc, wanted))
    except KlaremontError as exc:
        uow.session.rollback()
        said = exc.problems[0].rule if exc.problems else exc.detail
        if not said.startswith(label):
            said = f"{label}: {said}"
        if exc.status == 404:  # noqa: PLR2004 - no such customer: nothing to draw
            return _search_page(
                staff,
                _choices(staff.roles),
                status_code=404,
                error="No customer has that reference.",
            )
        return _view_page(staff, uow, reference, wanted, status_code=exc.status, error=said)
    finish(uow)
    return RedirectResponse(
        f"/staff/customers/{quote(reference)}?purpose={wanted.value}&corrected={field}",
        status_code=303,
    )
