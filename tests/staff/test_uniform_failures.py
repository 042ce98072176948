"""Every failed login looks the same and costs the same Argon2 work (IS-PW-LOCK3)."""

from __future__ import annotations

from datetime import timedelta

import argon2
import pytest
from sqlalchemy import select
from staff_support import PASSWORD, make_staff

from klaremont.audit.models import AuditEvent
from klaremont.staff import service_lifecycle
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role
from klaremont.staff.text import unknown_name_digest

WRONG = "wrong-horse-battery-staple"


def _prepare(platform, office, clock):
    """One account in each state; returns (username, password) per case."""
    make_staff(platform, "wanda")
    make_staff(platform, "lars")
    make_staff(platform, "dora")
    make_staff(platform, "ollie")
    sponsor = make_staff(platform, "sid", Role.TECHNICAL_OPERATIONS)
    with platform.unit_of_work() as uow:
        created = service_lifecycle.create_maintenance_account(
            uow,
            username="vendor",
            full_name="Vendor Engineer",
            work_email="vendor@supplier.example",
            hours=1,
            sponsor_id=sponsor.id,
            created_by="test",
        )
        vendor_password = created.one_time_password
        dora = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == "dora")
        ).one()
        service_lifecycle.disable_account(uow, dora, reason="test")
        ollie = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == "ollie")
        ).one()
        service_lifecycle.offboard(uow, ollie.id, by="test")
    clock.advance(timedelta(hours=2))
    for _ in range(3):  # locked now: the lock (30 minutes) is still on when the cases run
        office.post("/api/auth/login", json={"username": "lars", "password": WRONG})
    return {
        "unknown": ("nobody-here", PASSWORD),
        "wrong password": ("wanda", WRONG),
        "locked": ("lars", PASSWORD),
        "disabled": ("dora", PASSWORD),
        "offboarded": ("ollie", PASSWORD),
        "expired": ("vendor", vendor_password),
    }


@pytest.mark.policy("IS-PW-LOCK3", "IS-AC-LOGIN-LOG")
def test_failures_are_byte_identical_over_the_api(platform, office, clock):
    """Unknown, wrong, locked, disabled, offboarded and expired give one status and one body."""
    cases = _prepare(platform, office, clock)
    answers = {}
    for case, (username, password) in cases.items():
        response = office.post("/api/auth/login", json={"username": username, "password": password})
        answers[case] = (response.status_code, response.content, response.headers["content-type"])
        assert "set-cookie" not in response.headers
    assert len(set(answers.values())) == 1, answers
    status, body, _ = answers["unknown"]
    assert status == 401
    assert b"login-failed" in body
    tokens = {
        case: office.post(
            "/api/auth/tokens",
            json={"username": u, "password": p, "name": "script", "scopes": ["read"]},
        ).content
        for case, (u, p) in cases.items()
    }
    assert set(tokens.values()) == {body}


@pytest.mark.policy("IS-PW-LOCK3")
def test_failures_are_byte_identical_on_the_login_page(platform, office, clock):
    """The console's sign-in page answers every failure with the same page (same form cookie)."""
    cases = _prepare(platform, office, clock)
    page = office.get("/staff/login")
    token = page.cookies.get("klaremont_login_csrf") or office.cookies.get("klaremont_login_csrf")
    answers = set()
    for username, password in cases.values():
        response = office.post(
            "/staff/login",
            data={"username": username, "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        answers.add((response.status_code, response.content))
    assert len(answers) == 1
    assert next(iter(answers))[0] == 401


@pytest.mark.policy("IS-PW-LOCK3")
def test_every_failure_costs_one_argon2_verification(platform, office, clock, monkeypatch):
    """Unknown and refused accounts are verified against a dummy hash: one Argon2 verify each."""
    cases = _prepare(platform, office, clock)
    calls: list[str] = []
    original = argon2.PasswordHasher.verify

    def counting(self, stored, password):
        calls.append(stored[:9])
        return original(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    for case, (username, password) in cases.items():
        calls.clear()
        office.post("/api/auth/login", json={"username": username, "password": password})
        assert len(calls) == 1, case
        assert calls[0] == "$argon2id", case


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_failure_reasons_go_to_the_audit_log_only(platform, office, clock):
    """The audit log keeps each failure's real reason and, for a name matching no account, a
    keyed digest of it: never the name as typed (a password or card number typed in the wrong
    box), never a password."""
    cases = _prepare(platform, office, clock)
    for username, password in cases.values():
        office.post("/api/auth/login", json={"username": username, "password": password})
    with platform.unit_of_work() as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "auth.login", AuditEvent.outcome == "failure"
            )
        ).all()
        reasons = {e.details_dict()["reason"] for e in events}
        raw = " ".join(e.details for e in events)
    assert {
        "unknown-user",
        "bad-password",
        "locked",
        "disabled",
        "offboarded",
        "expired",
    } <= reasons
    secret = platform.settings.secret_key.get_secret_value()
    assert unknown_name_digest(secret, "Nobody-Here ") in raw
    assert "nobody-here" not in raw
    assert PASSWORD not in raw
    assert WRONG not in raw
