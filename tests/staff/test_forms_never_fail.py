"""Every staff-console form answers bad input with its own page again, naming the field.

The forms are found from the app's routes (every POST under ``/staff`` with ``Form()``
fields), so a new console form is covered without touching this test, and must declare its
page (:func:`klaremont.web.form_pages.form_page`). Each is submitted the way a browser does
(``text/html``, the anti-forgery token as the ``csrf_token`` form field, no script header)
by a signed-in member of staff whose role may use it: with every field missing, too long,
holding a control character (all at once, and a NUL in each field alone: the token was then
read from a header only, and the form answered "expired") or a card number, and with a bad
anti-forgery token. The answer
is never a 5xx: a 4xx HTML page naming each bad field by the label the form shows it with
(read from the form's template) and the rule, holding nothing typed; nothing is saved; and
no log line carries the session's token, cookie, password or anything typed.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from staff_support import OFFICE

from klaremont.staff import service_mfa
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role, role_permissions
from klaremont.staff.service_mfa import STEP_SECONDS, current_code
from klaremont.staff.web.guard import access_rule_of
from klaremont.staff.web.pages import LOGIN_CSRF_COOKIE
from klaremont.testing.staff import STAFF_PASSWORD, make_staff, sign_in
from klaremont.web.app import create_app
from klaremont.web.form_pages import FormPage

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx2 as httpx
    from fastapi import FastAPI

    from klaremont.clock import ManualClock
    from klaremont.platform import Platform

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TYPED = "plum-sextant-7-typed"  # what a person typed: never shown or logged
CARD = "4111 1111 1111 1111"  # a test card number the card guard refuses
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "klaremont"
#: console page templates: the shell's (web/templates) and those a capability keeps in its own
TEMPLATES = sorted(PACKAGE.glob("*/templates"))
#: Where the page drawn again shows the form posting to another route (a form that only
#: exists during a step the error ends: the enrolment starts again).
SHOWN_AT = {
    "/staff/mfa/confirm": "/staff/mfa",
    # an approve or revoke form is drawn per grant; with none, the page shows the request form
    "/staff/remote-access/approve": "/staff/remote-access/request",
    "/staff/remote-access/revoke": "/staff/remote-access/request",
    # a revoke, approve or remove form is drawn per code or device; with none, the page's
    # own form shows
    "/staff/wifi/codes/revoke": "/staff/wifi/codes",
    "/staff/wifi/devices/approve": "/staff/wifi/devices",
    "/staff/wifi/devices/remove": "/staff/wifi/devices",
}
_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.DOTALL)
_LABEL = re.compile(r'<label for="([^"]+)">(.*?)</label>', re.DOTALL)
_TAG = re.compile(r"<span.*?</span>|<[^>]+>", re.DOTALL)
_REQUEST_ID = re.compile(r"request id <code>[0-9a-f]+</code>")


@dataclass(frozen=True)
class ConsoleForm:
    """One console form route: its path, fields (name, required, max length), its page."""

    path: str
    fields: tuple[tuple[str, bool, int | None], ...]
    page: FormPage | None
    route: APIRoute


def _api_routes(routes: list[object]) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of every route, those of included routers too (their own
    ``path`` lacks the prefix they are mounted under: ``/retention/holds`` answers at
    ``/staff/retention/holds``, and its forms were left out)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path, route
        elif hasattr(route, "effective_candidates"):
            for candidate in route.effective_candidates():
                original = getattr(candidate, "original_route", None)
                if isinstance(original, APIRoute):
                    yield candidate.path, original
                else:
                    yield from _api_routes([candidate])


def _max_length(field: object) -> int | None:
    for rule in getattr(getattr(field, "field_info", None), "metadata", ()):
        if hasattr(rule, "max_length"):
            return int(rule.max_length)
    return None


def console_forms(app: FastAPI) -> list[ConsoleForm]:
    """Every POST route under /staff that takes form fields."""
    found = []
    for path, route in _api_routes(list(app.routes)):
        if "POST" not in (route.methods or set()) or not path.startswith("/staff/"):
            continue
        fields = tuple(
            (f.alias, f.field_info.is_required(), _max_length(f))
            for f in route.dependant.body_params
            if f.alias != "csrf_token"
        )
        if fields:
            page = getattr(route.endpoint, "__klaremont_form_page__", None)
            found.append(ConsoleForm(path, fields, page, route))
    return found


def template_labels() -> dict[str, dict[str, str]]:
    """For each form action in the console's templates, its fields' labels as shown."""
    labels: dict[str, dict[str, str]] = {}
    for template in (t for folder in TEMPLATES for t in (folder / "staff").glob("*.html")):
        for action, body in _FORM.findall(template.read_text(encoding="utf-8")):
            for name, text in _LABEL.findall(body):
                words = " ".join(_TAG.sub("", text).split())
                labels.setdefault(action, {})[name] = words
    return labels


def _role_for(route: APIRoute) -> Role:
    rule = access_rule_of(route)
    assert rule is not None
    for role, held in role_permissions().items():
        if rule.permissions <= held:
            return role
    pytest.fail(f"no role may use {route.path}")


class Browser:
    """A browser signed in as one member of staff: cookie session, token in the form."""

    def __init__(self, platform: Platform, role: Role) -> None:
        self.username = make_staff(platform, f"{role.value.replace('_', '')[:20]}x", role)
        self.client = TestClient(create_app(platform), base_url="https://testserver", client=OFFICE)
        self.token = sign_in(self.client, self.username)  # the page's form token, no header
        self.secrets = [self.token, STAFF_PASSWORD, self.client.cookies.get("klaremont_staff")]

    def post(self, path: str, data: dict[str, str], token: str | None = None) -> httpx.Response:
        return self.client.post(
            path,
            data={**data, "csrf_token": self.token if token is None else token},
            headers=BROWSER,
            follow_redirects=False,
        )


def _attempts(form: ConsoleForm) -> Iterator[tuple[str, dict[str, str], list[tuple[str, str]]]]:
    """(what, form data, [(field, rule words)]) of each invalid submission."""
    required = [name for name, needed, _ in form.fields if needed]
    if required:
        yield "missing", {}, [(name, "must be filled in") for name in required]
    for name, _, limit in form.fields:
        if limit is not None:
            yield (
                f"too long: {name}",
                {name: TYPED + "x" * limit},
                [(name, f"must be at most {limit} characters")],
            )
    every = {name: f"{TYPED}\x01" for name, _, _ in form.fields}
    yield "control character", every, [(n, "must not contain control characters") for n in every]
    plain = {name: "plain" for name, _, _ in form.fields}
    for name, _, _ in form.fields:  # one field alone: refused before the route reads the form
        yield (
            f"NUL in {name}",
            {**plain, name: f"{TYPED}\x00"},
            [(name, "must not contain control characters")],
        )


@pytest.fixture
def browsers(platform: Platform) -> dict[Role, Browser]:
    """One signed-in browser per role a console form needs (made when first asked for)."""
    return _Browsers(platform)


class _Browsers(dict[Role, Browser]):
    def __init__(self, platform: Platform) -> None:
        super().__init__()
        self.platform = platform

    def __missing__(self, role: Role) -> Browser:
        self[role] = Browser(self.platform, role)
        return self[role]


def _said(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def test_every_console_form_declares_its_page(app_forms: list[ConsoleForm]) -> None:
    """A console form without a declared page would answer bad input with a generic page."""
    assert {"/staff/password", "/staff/reauth", "/staff/mfa", "/staff/mfa/confirm"} <= {
        form.path for form in app_forms
    }
    assert "/staff/accuracy-review/confirm" in {form.path for form in app_forms}
    assert [form.path for form in app_forms if form.page is None] == []


@pytest.fixture
def app_forms(platform: Platform) -> list[ConsoleForm]:
    """The console's forms, as the app built for this platform routes them."""
    return console_forms(create_app(platform))


@pytest.mark.policy("IS-PW-HASH", "IS-PW-STRONG")
def test_every_console_form_shows_itself_again_naming_the_field(
    platform: Platform,
    app_forms: list[ConsoleForm],
    browsers: dict[Role, Browser],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Missing, too long and control characters: 422, the form's own page again, each bad
    field named by its label with the rule; nothing typed on the page or in the log."""
    caplog.set_level(logging.DEBUG)
    labels = template_labels()
    for form in app_forms:
        if form.path == "/staff/login":
            continue  # signed out: its own test below
        browser = browsers[_role_for(form.route)]
        shown_at = SHOWN_AT.get(form.path, form.path)
        for what, data, expected in _attempts(form):
            response = browser.post(form.path, data)
            where = f"{form.path} ({what})"
            assert response.status_code == 422, (where, response.status_code)
            assert response.headers["content-type"].startswith("text/html"), where
            assert f'action="{shown_at}"' in response.text, f"{where}: not its own form page"
            said = _said(response.text)
            for name, rule in expected:
                assert form.page is not None
                label = labels.get(form.path, {}).get(name) or form.page.label(name)
                assert f"{label}: {rule}" in said, (where, label, said)
            assert TYPED not in response.text, where
            assert f"Sign out {browser.username}" in response.text, f"{where}: frame lost"
    _assert_nothing_logged(caplog, capsys, [TYPED, *_all_secrets(browsers)])
    _assert_nothing_saved(platform, browsers)


@pytest.mark.policy("IS-PW-HASH")
def test_a_card_number_or_a_bad_token_is_refused_plainly(
    platform: Platform,
    app_forms: list[ConsoleForm],
    browsers: dict[Role, Browser],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A card number in any field: 422, the form again naming the field, the number never
    echoed (it was an error page with only a way back, everything typed lost); a bad
    anti-forgery token: 403 saying to reload the form. Never a 5xx, never a secret logged."""
    caplog.set_level(logging.DEBUG)
    for form in app_forms:
        if form.path == "/staff/login":
            continue
        browser = browsers[_role_for(form.route)]
        for name, _, _ in form.fields:
            response = browser.post(form.path, {name: CARD})
            assert response.status_code == 422, (form.path, name, response.status_code)
            assert response.headers["content-type"].startswith("text/html")
            assert "card" in _said(response.text).lower(), (form.path, name)
            shown_at = SHOWN_AT.get(form.path, form.path)
            assert f'action="{shown_at}"' in response.text, (form.path, name, "not the form")
            # (a random hexadecimal request id may hold "4111" by chance: not an echo)
            assert "4111" not in _REQUEST_ID.sub("", response.text)
        valid = {name: "plain" for name, _, _ in form.fields}
        bad = browser.post(form.path, valid, token="x" * 43)
        assert bad.status_code == 403, (form.path, bad.status_code)
        assert bad.headers["content-type"].startswith("text/html")
        assert "The form expired; reload the page and try again." in _said(bad.text)
    _assert_nothing_logged(caplog, capsys, [CARD, "x" * 43, *_all_secrets(browsers)])
    _assert_nothing_saved(platform, browsers)


@pytest.mark.policy("IS-PW-HASH")
def test_the_sign_in_form_shows_itself_again(
    platform: Platform, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Signed out: the sign-in form with a field missing or too long comes back (422) naming
    it by its label, with a fresh form token; a bad form token is a 400 asking to sign in
    again. No password or token reaches the log."""
    caplog.set_level(logging.DEBUG)
    make_staff(platform, "lena", Role.SUPPORT_AGENT)
    client = TestClient(create_app(platform), base_url="https://testserver", client=OFFICE)
    page = client.get("/staff/login", headers=BROWSER)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    data = {"csrf_token": token.group(1)}
    missing = client.post("/staff/login", data=data, headers=BROWSER)
    assert missing.status_code == 422
    assert "Username: must be filled in" in _said(missing.text)
    assert "Password: must be filled in" in _said(missing.text)
    assert 'action="/staff/login"' in missing.text
    long = client.post(
        "/staff/login",
        data={**data, "username": "lena", "password": TYPED, "code": "1" * 65},
        headers=BROWSER,
    )
    assert long.status_code == 422
    assert "Authenticator code: must be at most 64 characters" in _said(long.text)
    assert TYPED not in long.text
    forged = client.post(
        "/staff/login",
        data={"csrf_token": "y" * 43, "username": "lena", "password": STAFF_PASSWORD},
        headers=BROWSER,
    )
    assert forged.status_code == 400
    assert "The form expired" in forged.text
    secrets = [TYPED, STAFF_PASSWORD, token.group(1), client.cookies.get(LOGIN_CSRF_COOKIE)]
    _assert_nothing_logged(caplog, capsys, secrets)


def _all_secrets(browsers: dict[Role, Browser]) -> list[str | None]:
    return [secret for b in browsers.values() for secret in b.secrets if secret]


def _assert_nothing_logged(
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    secrets: list[str | None],
) -> None:
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "Traceback" not in logged
    for secret in secrets:
        if secret:
            assert secret not in logged


def _assert_nothing_saved(platform: Platform, browsers: dict[Role, Browser]) -> None:
    """Every password still the one set, no authenticator enrolled: nothing half-written."""
    for browser in browsers.values():
        fresh = TestClient(create_app(platform), base_url="https://testserver", client=OFFICE)
        sign_in(fresh, browser.username)  # fails if a password change went through
        with platform.unit_of_work() as uow:
            account = uow.session.scalars(
                select(StaffAccount).where(StaffAccount.username == browser.username)
            ).one()
            assert not service_mfa.has_confirmed_mfa(uow, account.id)


def test_the_return_path_survives_a_refused_form(browsers: dict[Role, Browser]) -> None:
    """Re-authentication refused for a missing password keeps where it was going back to;
    a return path off the console is not carried on."""
    browser = browsers[Role.ISO]
    kept = browser.post("/staff/reauth", {"next": "/staff/access-review"})
    assert kept.status_code == 422
    assert 'name="next" value="/staff/access-review"' in kept.text
    assert "Password: must be filled in" in _said(kept.text)
    elsewhere = browser.post("/staff/reauth", {"next": "https://example.org/"})
    assert 'name="next" value="/staff/"' in elsewhere.text


def test_an_enrolled_authenticator_stays_shown(
    platform: Platform, browsers: dict[Role, Browser], clock: ManualClock
) -> None:
    """The authenticator page drawn again reads the enrolment afresh: enrolled, with the
    count of unused recovery codes (not the enrolment form)."""
    browser = browsers[Role.SUPPORT_AGENT]
    headers = {"X-CSRF-Token": browser.token}
    enrol = browser.client.post(
        "/api/auth/mfa/enrol", json={"password": STAFF_PASSWORD}, headers=headers
    ).json()
    code = current_code(enrol["secret"], int(clock.now().timestamp()) // STEP_SECONDS)
    confirmed = browser.client.post("/api/auth/mfa/confirm", json={"code": code}, headers=headers)
    assert confirmed.status_code == 200
    unused = len(confirmed.json()["recovery_codes"])
    again = browser.post("/staff/mfa", {})
    assert again.status_code == 422
    said = _said(again.text)
    assert "Your password: must be filled in" in said
    assert f"An authenticator is enrolled. {unused} recovery codes are unused." in said
