"""Administrative and card-data roles sign in with a second factor (IS-RA-2FA, PCI DSS 8.4.1)."""

from __future__ import annotations

import pytest
from staff_support import login, make_staff, signed_in

from klaremont.policy.model import SecondFactorPolicy
from klaremont.staff.permissions import Role
from klaremont.staff.second_factor import second_factor_roles
from klaremont.staff.service_mfa import STEP_SECONDS, current_code


@pytest.fixture
def required(platform):
    """The policy's default: a second factor for privileged roles."""
    platform.policy = platform.policy.model_copy(
        update={"second_factor": SecondFactorPolicy(required_for_privileged=True)}
    )
    return platform


def _code(clock, secret: str, ahead: int = 0) -> str:
    return current_code(secret, int(clock.now().timestamp()) // STEP_SECONDS + ahead)


def _enrol(client, clock, staff, headers) -> str:
    started = client.post("/api/auth/mfa/enrol", json={"password": staff.password}, headers=headers)
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    confirmed = client.post(
        "/api/auth/mfa/confirm", json={"code": _code(clock, secret)}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret


def test_which_roles_need_the_second_factor():
    """Administrative roles and every role that can read card data; not the others."""
    assert {Role.ISO, Role.TECHNICAL_OPERATIONS, Role.DPO, Role.DIRECTOR} <= second_factor_roles()
    assert {Role.SUPPORT_AGENT, Role.FINANCE} <= second_factor_roles()  # cards:read
    assert Role.MARKETING not in second_factor_roles()
    assert Role.ENGINEER not in second_factor_roles()


@pytest.mark.policy("IS-RA-2FA")
def test_an_unenrolled_administrator_may_only_enrol(required, office, clock):
    """Password alone opens a session that can enrol an authenticator and nothing else."""
    iso = make_staff(required, "ines", Role.ISO)
    headers = signed_in(office, iso)
    refused = office.get("/api/staff", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("second-factor-required")
    assert "authenticator" in refused.json()["detail"]
    _enrol(office, clock, iso, headers)
    assert office.get("/api/staff", headers=headers).status_code == 200  # upgraded session


@pytest.mark.policy("IS-RA-2FA")
def test_an_enrolled_administrator_needs_the_code_at_every_sign_in(required, office, clock):
    """Once enrolled, a password without the current code is a failed login."""
    iso = make_staff(required, "ivy", Role.ISO)
    secret = _enrol(office, clock, iso, signed_in(office, iso))
    office.cookies.clear()
    without = login(office, iso)
    assert without.status_code == 401
    assert without.json()["type"].endswith("login-failed")
    with_code = login(office, iso, code=_code(clock, secret, ahead=1))
    assert with_code.status_code == 200, with_code.text
    headers = {"X-CSRF-Token": with_code.json()["csrf_token"]}
    assert office.get("/api/staff", headers=headers).status_code == 200


@pytest.mark.policy("IS-RA-2FA", "IS-SENS-MASK")
def test_a_card_handling_role_needs_it_too_and_marketing_does_not(required, office):
    """A support agent (cards:read) is limited to enrolment; a marketer is not."""
    agent = make_staff(required, "sam")
    headers = signed_in(office, agent)
    assert office.get("/api/customers", headers=headers).status_code == 403
    office.cookies.clear()
    marketer = make_staff(required, "mia", Role.MARKETING)
    headers = signed_in(office, marketer)
    assert office.get("/api/auth/me", headers=headers).status_code == 200


@pytest.mark.policy("IS-RA-2FA")
def test_no_api_token_for_a_privileged_account_without_the_code(required, office):
    """A script token is a sign-in too: refused to an unenrolled ISO."""
    iso = make_staff(required, "iris", Role.ISO)
    response = office.post(
        "/api/auth/tokens",
        json={"username": "iris", "password": iso.password, "name": "script", "scopes": ["read"]},
    )
    assert response.status_code == 401


@pytest.mark.policy("IS-RA-2FA")
def test_the_console_sends_an_unenrolled_administrator_to_enrolment(required, office):
    """After sign-in the console goes to the authenticator page; other pages redirect there."""
    iso = make_staff(required, "ida", Role.ISO)
    form = office.get("/staff/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = office.post(
        "/staff/login",
        data={"username": "ida", "password": iso.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/mfa"
    home = office.get("/staff/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/staff/mfa"
    enrol_page = office.get("/staff/mfa")
    assert enrol_page.status_code == 200
    assert 'id="mfa-required"' in enrol_page.text


def test_with_the_policy_key_off_a_password_is_enough(platform, office):
    """``second_factor.required_for_privileged = false`` restores password-only sign-in."""
    iso = make_staff(platform, "ian", Role.ISO)
    headers = signed_in(office, iso)
    assert office.get("/api/staff", headers=headers).status_code == 200
