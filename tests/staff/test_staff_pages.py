"""Staff console pages: sign-in, home, password, authenticator, re-authentication."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from staff_support import NEW_PASSWORD, PASSWORD, make_staff

from klaremont.staff.permissions import Role
from klaremont.staff.service_mfa import STEP_SECONDS, current_code

_INLINE = re.compile(r"<script|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without csrf_token"
    return match.group(1)


def _sign_in(client, staff, *, password=None, next_path="/staff/"):
    page = client.get("/staff/login")
    return client.post(
        "/staff/login",
        data={
            "username": staff.username,
            "password": password or staff.password,
            "csrf_token": _form_token(page.text),
            "next": next_path,
        },
        follow_redirects=False,
    )


@pytest.mark.policy("IS-USE-LOCK")
def test_sign_in_page_flow(platform, office):
    """The sign-in form sets the session cookie and goes home; home says who is signed in."""
    ann = make_staff(platform, "ann")
    page = office.get("/staff/login")
    assert page.status_code == 200
    assert not _INLINE.search(page.text)
    done = _sign_in(office, ann)
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/"
    home = office.get("/staff/")
    assert home.status_code == 200
    assert "My work" in home.text
    assert "support agent" in home.text
    assert "Password expires" in home.text
    assert not _INLINE.search(home.text)


@pytest.mark.policy("IS-USE-SCAN")
def test_sign_in_form_needs_its_anti_forgery_token(platform, office):
    """A sign-in post without the form's token (a forged cross-site post) is refused."""
    make_staff(platform, "boris")
    office.get("/staff/login")
    forged = office.post(
        "/staff/login",
        data={"username": "boris", "password": PASSWORD, "csrf_token": "x" * 43},
        follow_redirects=False,
    )
    assert forged.status_code == 400
    assert "klaremont_staff" not in office.cookies


@pytest.mark.policy("IS-USE-LOCK")
def test_pages_send_anonymous_visitors_to_sign_in(office):
    """Without a session, console pages redirect to the sign-in page, keeping where to go next."""
    response = office.get("/staff/access-review", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/access-review"


@pytest.mark.policy("IS-PW-60")
def test_expired_password_goes_straight_to_the_change_page(platform, office, clock):
    """With an expired password, sign-in lands on the change form, which then works."""
    cyril = make_staff(platform, "cyril")
    clock.advance(timedelta(days=61))
    done = _sign_in(office, cyril)
    assert done.headers["location"] == "/staff/password"
    form = office.get("/staff/password")
    assert "expired" in form.text
    assert office.get("/staff/").status_code == 403
    changed = office.post(
        "/staff/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": _form_token(form.text),
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert office.get("/staff/").status_code == 200


@pytest.mark.policy("IS-PW-STRONG")
def test_password_page_names_broken_rules(platform, office):
    """A weak new password re-shows the form with the broken rules, never the password."""
    dinah = make_staff(platform, "dinah")
    _sign_in(office, dinah)
    form = office.get("/staff/password")
    response = office.post(
        "/staff/password",
        data={
            "current_password": PASSWORD,
            "new_password": "Password2026!",
            "confirm_password": "Password2026!",
            "csrf_token": _form_token(form.text),
        },
    )
    assert response.status_code == 422
    assert "commonly used" in response.text
    assert "Password2026!" not in response.text


@pytest.mark.policy("IS-RA-2FA")
def test_authenticator_page_shows_key_uri_and_codes_once(platform, office, clock):
    """Enrolment shows the key and otpauth URI, then the recovery codes, each only once."""
    edgar = make_staff(platform, "edgar")
    _sign_in(office, edgar)
    page = office.get("/staff/mfa")
    started = office.post(
        "/staff/mfa", data={"password": PASSWORD, "csrf_token": _form_token(page.text)}
    )
    assert started.status_code == 200
    secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', started.text).group(1)
    assert "otpauth://totp/Klaremont:edgar?secret=" in started.text
    code = current_code(secret, int(clock.now().timestamp()) // STEP_SECONDS)
    codes = office.post(
        "/staff/mfa/confirm", data={"code": code, "csrf_token": _form_token(started.text)}
    )
    assert codes.status_code == 200
    assert len(re.findall(r"<li><code>[a-z2-9-]{23}</code></li>", codes.text)) == 10
    again = office.get("/staff/mfa")
    assert "is enrolled" in again.text
    assert secret not in again.text


@pytest.mark.policy("IS-USE-LOCK")
def test_sensitive_page_action_asks_for_the_password_again(platform, office, clock):
    """An old session posting a sign-off is sent to confirm the password, then back to the page."""
    iso = make_staff(platform, "flo", Role.ISO)
    _sign_in(office, iso)
    page = office.get("/staff/access-review")
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page.text).group(1)
    clock.advance(timedelta(minutes=6))
    response = office.post(
        "/staff/access-review/sign-off",
        data={"digest": digest, "csrf_token": _form_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/reauth?next=/staff/access-review"
    confirm = office.get(response.headers["location"])
    done = office.post(
        "/staff/reauth",
        data={
            "password": PASSWORD,
            "next": "/staff/access-review",
            "csrf_token": _form_token(confirm.text),
        },
        follow_redirects=False,
    )
    assert done.headers["location"] == "/staff/access-review"


@pytest.mark.policy("IS-USE-LOCK")
def test_sign_out_ends_the_session(platform, office):
    """The sign-out button ends the session and clears the cookie."""
    gus = make_staff(platform, "gus")
    _sign_in(office, gus)
    home = office.get("/staff/")
    out = office.post(
        "/staff/logout", data={"csrf_token": _form_token(home.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert office.get("/staff/", follow_redirects=False).status_code == 303


def test_stylesheet_is_served_from_static(office):
    """The console's only stylesheet is a file under /static (the CSP forbids inline styles)."""
    css = office.get("/static/staff.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "style-src 'self'" in office.get("/staff/login").headers["content-security-policy"]


@pytest.mark.policy("IS-USE-SCAN")
def test_next_parameter_cannot_leave_the_console(platform, office):
    """A crafted next= pointing elsewhere sends the user home instead (no open redirect)."""
    hal = make_staff(platform, "hal")
    done = _sign_in(office, hal, next_path="https://evil.example/")
    assert done.headers["location"] == "/staff/"
    office.cookies.clear()
    done = _sign_in(office, hal, next_path="//evil.example/staff/")
    assert done.headers["location"] == "/staff/"


@pytest.mark.policy("IS-USE-SCAN")
def test_browsers_get_readable_error_pages(platform, office):
    """A refused or missing console page is an HTML page naming the refusal and the request
    id (audited as before); scripts and the API keep problem+json."""
    staff = make_staff(platform, "uma", Role.SUPPORT_AGENT)
    _sign_in(office, staff)
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    refused = office.get("/staff/access-review", headers=browser)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "Permission denied" in refused.text
    assert "staff:review" not in refused.text  # a person reads it: no permission ids
    assert "ask the Information Security Officer" in refused.text
    assert refused.headers["x-request-id"] in refused.text
    assert "Sign out uma" in refused.text  # the console's own frame, still signed in
    assert not _INLINE.search(refused.text)
    missing = office.get("/staff/no-such-page", headers=browser)
    assert missing.status_code == 404
    assert "Back to the staff console" in missing.text
    assert "There is nothing at this address" in missing.text  # not "Not Found" again
    assert "Not Found" not in missing.text
    privacy = office.get("/privacy/no-such-page", headers=browser)
    assert privacy.status_code == 404
    assert "Back to the privacy centre" in privacy.text
    script = office.get("/staff/access-review")
    assert script.status_code == 403
    assert script.headers["content-type"] == "application/problem+json"
    api = office.get("/api/staff/accounts", headers=browser)
    assert api.headers["content-type"] == "application/problem+json"
