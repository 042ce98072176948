"""Every staff-console and privacy-centre form answers invalid input with a page naming the
field and the rule: never a server error, never the submitted value.

The forms are found from the app's routes (every POST under ``/staff`` and ``/privacy``
that takes form fields), so a new form is covered without touching this test. Each is
submitted by a signed-in user allowed to use it, with a valid anti-forgery token, once
with no fields and once with a control character in every field.
"""

from __future__ import annotations

import html
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from privacy_support import make_customer, sign_in

from klaremont.staff.permissions import Role
from klaremont.testing.staff import OFFICE_CLIENT, make_staff, staff_client
from klaremont.web.app import create_app
from klaremont.web.customer_wording import FIELD_LABELS
from klaremont.web.form_pages import FormPage, declared_form_page

HTML = {"accept": "text/html"}
BAD = "bad\x00value"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _forms(app) -> list[tuple[str, list[tuple[str, bool]]]]:
    """(path, [(field, required)]) of every console and privacy-centre form; the labels
    console forms declare are kept in ``LABELS``."""
    found = []
    for route in _api_routes(app.routes):
        if "POST" not in route.methods:
            continue
        if not route.path.startswith(("/staff/", "/privacy/")):
            continue
        fields = [
            (field.alias, field.field_info.is_required())
            for field in route.dependant.body_params
            if field.alias != "csrf_token"
        ]
        if fields:
            found.append((route.path, fields))
            page = declared_form_page(route.endpoint)
            if page is not None:
                LABELS[route.path] = page
    return found


def _api_routes(routes) -> list[APIRoute]:
    """The app's API routes, those of included routers too."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_api_routes(route.original_router.routes))
    return found


LABELS: dict[str, FormPage] = {}


def _label(field: str, path: str = "") -> str:
    page = LABELS.get(path)
    return page.label(field) if page is not None else field.replace("_", " ").capitalize()


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path, headers=HTML)
    found = _CSRF.search(page.text)
    assert found is not None, f"no form token on {path}"
    return found.group(1)


def _said(path: str, name: str) -> str:
    """How a page names a field: a label on the console, plain words to a customer."""
    if path.startswith("/privacy/"):
        return FIELD_LABELS.get(name, name.replace("_", " ")).lower()
    return _label(name, path).lower()


def test_every_form_names_the_invalid_field(platform) -> None:
    """No 5xx for any console or privacy-centre form with fields missing or holding a
    control character; the 422 page names the field (as a label) and the rule."""
    iso = staff_client(platform, make_staff(platform, "iris", Role.ISO))
    dpo = staff_client(platform, make_staff(platform, "dora", Role.DPO))
    ops = staff_client(platform, make_staff(platform, "otto", Role.TECHNICAL_OPERATIONS))
    support = staff_client(platform, make_staff(platform, "suki", Role.SUPPORT_AGENT))
    # a director's forms (approving a disclosure) are a director's alone
    director = staff_client(platform, make_staff(platform, "dirk", Role.DIRECTOR))
    staff = [iso, dpo, ops, support, director]
    customer = TestClient(create_app(platform), base_url="https://testserver", client=OFFICE_CLIENT)
    customer_token = sign_in(customer, make_customer(platform))
    forms = _forms(iso.app)
    assert {"/staff/password", "/staff/reauth", "/staff/mfa", "/privacy/verify"} <= {
        path for path, _ in forms
    }
    for path, fields in forms:
        if path.startswith("/staff/"):
            clients = [(one, one.headers["X-CSRF-Token"]) for one in staff]
        elif path == "/privacy/sign-in":
            clients = [(customer, _csrf(customer, "/privacy/sign-in"))]
        else:
            clients = [(customer, customer_token)]
        required = [name for name, needed in fields if needed]
        attempts = [({}, required), ({name: BAD for name, _ in fields}, [n for n, _ in fields])]
        for data, named in attempts:
            for client, token in clients:
                response = client.post(
                    path, data={**data, "csrf_token": token}, headers=HTML, follow_redirects=False
                )
                if response.status_code != 403:  # not this user's form: try the next
                    break
            assert response.status_code < 500, (path, data, response.status_code)
            assert response.headers["x-frame-options"] == "DENY"
            if not named:
                continue  # nothing required: an empty form is valid input
            assert response.status_code == 422, (path, data, response.status_code)
            assert response.headers["content-type"].startswith("text/html")
            text = html.unescape(response.text).lower()
            assert any(_said(path, name) in text for name in named), (path, response.text)
            assert "must not contain control characters" in response.text or not data
            assert "bad\x00value" not in response.text


@pytest.mark.parametrize("path", ["/staff/password", "/staff/reauth", "/staff/mfa"])
def test_console_form_error_keeps_the_signed_in_frame(platform, path) -> None:
    """The error page of a signed-in console form shows the staff member's frame (the
    page is rendered after the request's unit of work ended, from plain values)."""
    iso = staff_client(platform, make_staff(platform, "ines", Role.ISO))
    token = iso.headers["X-CSRF-Token"]
    response = iso.post(path, data={"csrf_token": token}, headers=HTML)
    assert response.status_code == 422
    assert "Sign out ines" in response.text
    assert "password: must be filled in" in response.text.lower()
