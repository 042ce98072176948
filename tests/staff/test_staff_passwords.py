"""Password hashing, strength, history, expiry and administrator resets (IS-PW-*)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import NEW_PASSWORD, OTHER_PASSWORD, PASSWORD, login, make_staff, signed_in

from klaremont.audit.models import AuditEvent
from klaremont.staff.hashing import PasswordHashing, hashing_for
from klaremont.staff.models import PasswordHistory, StaffAccount
from klaremont.staff.permissions import Role


def _hash(platform, staff) -> str:
    with platform.unit_of_work() as uow:
        return uow.session.get(StaffAccount, staff.id).password_hash


def _change(client, headers, current, new):
    return client.post(
        "/api/auth/password",
        json={"current_password": current, "new_password": new},
        headers=headers,
    )


@pytest.mark.policy("IS-PW-HASH")
def test_passwords_are_argon2id_with_the_policy_parameters(platform):
    """Stored passwords are Argon2id hashes made with the policy file's cost parameters."""
    ada = make_staff(platform, "ada")
    stored = _hash(platform, ada)
    params = platform.policy.passwords.hash
    assert stored.startswith(
        f"$argon2id$v=19$m={params.memory_kib},t={params.time_cost},p={params.parallelism}$"
    )
    assert PASSWORD not in stored
    assert hashing_for(platform).verify(stored, PASSWORD)


@pytest.mark.policy("IS-PW-HASH")
def test_hash_is_upgraded_at_login_when_the_parameters_change(platform, office):
    """After the policy raises the cost, the next successful login re-hashes the password."""
    ben = make_staff(platform, "ben")
    hashes = platform.policy.passwords.hash.model_copy(update={"time_cost": 3})
    platform.policy = platform.policy.model_copy(
        update={"passwords": platform.policy.passwords.model_copy(update={"hash": hashes})}
    )
    assert login(office, ben).status_code == 200
    assert ",t=3," in _hash(platform, ben)
    assert PasswordHashing(3, hashes.memory_kib, 1).verify(_hash(platform, ben), PASSWORD)


@pytest.mark.policy("IS-PW-STRONG")
@pytest.mark.parametrize(
    ("candidate", "rule"),
    [
        ("short-pw", "at least 12 characters"),
        ("Password2026!", "commonly used"),
        ("qwertyuiop1234", "commonly used"),
        ("Klaremont-Winter-99", "company name"),
        ("cleo-loves-riverside-walks", "username"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule(platform, office, candidate, rule):
    """A weak new password is refused naming the rule it breaks, never echoing the password."""
    cleo = make_staff(platform, "cleo")
    headers = signed_in(office, cleo)
    response = _change(office, headers, PASSWORD, candidate)
    assert response.status_code == 422
    assert rule in response.text
    assert candidate not in response.text


@pytest.mark.policy("IS-PW-STRONG")
def test_recent_passwords_cannot_be_reused(platform, office):
    """The current password and the last history_depth ones are refused; older ones are allowed."""
    platform.policy = platform.policy.model_copy(
        update={"passwords": platform.policy.passwords.model_copy(update={"history_depth": 1})}
    )
    dina = make_staff(platform, "dina")
    headers = signed_in(office, dina)
    assert _change(office, headers, PASSWORD, PASSWORD).status_code == 422
    response = _change(office, headers, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 200, response.text
    headers = {"X-CSRF-Token": response.json()["csrf_token"]}
    refused = _change(office, headers, NEW_PASSWORD, PASSWORD)
    assert refused.status_code == 422
    assert "differ from your current and last 1 passwords" in refused.text
    response = _change(office, headers, NEW_PASSWORD, OTHER_PASSWORD)
    assert response.status_code == 200
    headers = {"X-CSRF-Token": response.json()["csrf_token"]}
    assert _change(office, headers, OTHER_PASSWORD, PASSWORD).status_code == 200
    with platform.unit_of_work() as uow:
        kept = uow.session.scalars(
            select(PasswordHistory).where(PasswordHistory.account_id == dina.id)
        ).all()
    assert len(kept) == 1


@pytest.mark.policy("IS-PW-60")
def test_day_61_forces_a_password_change_before_anything_else(platform, office, clock):
    """On day 61 the login succeeds but every route except the password change answers 403."""
    iris = make_staff(platform, "iris", Role.ISO)
    clock.advance(timedelta(days=59))
    assert login(office, iris).json()["must_change_password"] is False
    office.cookies.clear()
    clock.advance(timedelta(days=2))
    response = login(office, iris)
    assert response.status_code == 200
    assert response.json()["must_change_password"] is True
    headers = {"X-CSRF-Token": response.json()["csrf_token"]}
    for method, path in (("GET", "/api/auth/me"), ("GET", "/api/staff"), ("GET", "/staff/")):
        refused = office.request(method, path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.json()["type"].endswith("/password-change-required")
    changed = _change(office, headers, PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 200
    assert office.get("/api/auth/me").status_code == 200


@pytest.mark.policy("IS-PW-60", "IS-PW-STRONG")
def test_admin_reset_sets_a_one_time_password(platform, office):
    """A reset gives a one-time password that works once, forces a change, and ends old sessions."""
    iso = make_staff(platform, "ivy", Role.ISO)
    jon = make_staff(platform, "jon")
    with type(office)(
        office.app, base_url="https://testserver", client=("127.0.0.1", 1)
    ) as jon_client:
        signed_in(jon_client, jon)
        headers = signed_in(office, iso)
        reset = office.post(f"/api/staff/{jon.id}/reset-password", headers=headers)
        assert reset.status_code == 200, reset.text
        one_time = reset.json()["one_time_password"]
        assert jon_client.get("/api/auth/me").status_code == 401
        assert login(jon_client, jon).status_code == 401
        response = login(jon_client, jon, password=one_time)
        assert response.json()["must_change_password"] is True
        headers = {"X-CSRF-Token": response.json()["csrf_token"]}
        assert jon_client.get("/api/auth/me").status_code == 403
        assert _change(jon_client, headers, one_time, NEW_PASSWORD).status_code == 200
        assert jon_client.get("/api/auth/me").status_code == 200
    with platform.unit_of_work() as uow:
        actions = uow.session.scalars(select(AuditEvent.action)).all()
    assert "auth.password.reset" in actions
    assert "auth.password.change" in actions


@pytest.mark.policy("IS-PW-STRONG")
def test_nobody_resets_their_own_password_as_an_administrator(platform, office):
    """The administrator reset is for other people: an ISO cannot reset their own."""
    iso = make_staff(platform, "ike", Role.ISO)
    headers = signed_in(office, iso)
    assert office.post(f"/api/staff/{iso.id}/reset-password", headers=headers).status_code == 403


@pytest.mark.policy("IS-PW-LOCK3")
def test_wrong_current_password_counts_towards_the_lockout(platform, office):
    """A password change with the wrong current password is a failed password check too."""
    kim = make_staff(platform, "kim")
    headers = signed_in(office, kim)
    for _ in range(3):
        assert _change(office, headers, "not-my-password", NEW_PASSWORD).status_code == 401
    assert office.get("/api/auth/me").status_code == 401
    assert login(office, kim).status_code == 401
