"""Accounts, roles, vetting and training.

Clauses: IS-PW-UNIQUE, IS-USE-CRED, IS-SENS-VET, IS-SENS-NEED, DP-AWARE.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from staff_support import make_staff, signed_in

from klaremont.audit.models import AuditEvent
from klaremont.cards.permissions import CardPermission
from klaremont.errors import Conflict, PermissionDenied, ValidationFailed
from klaremont.policy.purposes import Purpose
from klaremont.staff import service_accounts
from klaremont.staff.errors import VettingRequired
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import (
    ROLE_PURPOSES,
    Permission,
    Role,
    data_permissions,
    is_data_role,
    role_permissions,
)


def _new(username: str, email: str | None = None, role: Role = Role.ENGINEER, **kw):
    return service_accounts.NewAccount(
        username=username,
        full_name="Some Person",
        work_email=email or f"{username}@klaremont.example",
        job_role=role,
        **kw,
    )


@pytest.mark.policy("IS-PW-UNIQUE")
def test_usernames_are_unique_whatever_their_case(platform):
    """A second account named like the first in another case is refused."""
    make_staff(platform, "Mira.Jones")
    with platform.unit_of_work() as uow, pytest.raises(Conflict):
        service_accounts.create_account(
            uow, _new("mira.JONES", "other@klaremont.example"), created_by="t"
        )


@pytest.mark.policy("IS-PW-UNIQUE")
def test_the_database_enforces_the_lower_case_unique_index(platform):
    """A raw insert cannot add a case-variant duplicate or a key other than the lowered name."""
    make_staff(platform, "nora")
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(select(StaffAccount)).one()
        columns = (
            "id, subject_id, username, username_key, job_role, kind, status, password_hash, "
            "password_changed_at, password_must_change, failed_attempts, created_at, created_by"
        )
        values = {
            "subject_id": row.subject_id.hex[::-1],
            "password_changed_at": row.password_changed_at,
            "created_at": row.created_at,
        }
    for username, key in (("NORA", "nora"), ("Zed", "Zed")):
        with pytest.raises(IntegrityError), platform.unit_of_work() as uow:
            uow.session.execute(
                text(
                    f"INSERT INTO staff_accounts ({columns}) VALUES (:id, :subject_id, :username, "
                    ":key, 'engineer', 'regular', 'active', '!x', :password_changed_at, false, 0, "
                    ":created_at, 't')"
                ),
                {**values, "id": row.id.hex[::-1], "username": username, "key": key},
            )


@pytest.mark.policy("IS-USE-CRED")
def test_one_person_one_account(platform):
    """A second account with the same work e-mail (in any case) is refused."""
    make_staff(platform, "omar")
    with platform.unit_of_work() as uow, pytest.raises(Conflict):
        service_accounts.create_account(
            uow, _new("omar2", "OMAR@klaremont.example"), created_by="t"
        )


@pytest.mark.policy("IS-USE-CRED")
def test_staff_names_and_emails_are_sealed(platform):
    """Full names and work e-mails are stored encrypted; the username is the only plaintext."""
    make_staff(platform, "pearl")
    with platform.unit_of_work() as uow:
        raw = uow.session.execute(text("SELECT full_name, work_email FROM staff_accounts")).one()
        assert b"Pearl" not in bytes(raw[0])
        assert b"pearl@" not in bytes(raw[1])
        account = uow.session.scalars(select(StaffAccount)).one()
        assert account.full_name == "Pearl Tester"
        assert account.work_email == "pearl@klaremont.example"


@pytest.mark.policy("IS-SENS-VET")
def test_data_roles_need_vetting_first(platform):
    """A role that reads personal or card data is refused until a background check is recorded."""
    with platform.unit_of_work() as uow:
        created = service_accounts.create_account(uow, _new("quin"), created_by="t")
        account_id = created.account.id
    with platform.unit_of_work() as uow, pytest.raises(VettingRequired):
        service_accounts.grant_role(uow, account_id, Role.SUPPORT_AGENT, granted_by="t")
    with platform.unit_of_work() as uow:
        service_accounts.record_vetting(uow, account_id, date(2025, 5, 1), by="t")
        assert service_accounts.grant_role(uow, account_id, Role.SUPPORT_AGENT, granted_by="t")
    with platform.unit_of_work() as uow, pytest.raises(VettingRequired):
        service_accounts.create_account(uow, _new("rosa", role=Role.FINANCE), created_by="t")


@pytest.mark.policy("IS-SENS-VET")
def test_vetting_dates_cannot_be_in_the_future(platform, clock):
    """A background check dated tomorrow is refused."""
    engineer = make_staff(platform, "sven", Role.ENGINEER, vetted=False)
    with platform.unit_of_work() as uow, pytest.raises(ValidationFailed):
        service_accounts.record_vetting(
            uow, engineer.id, clock.now().date() + timedelta(days=1), by="t"
        )


@pytest.mark.policy("IS-SENS-NEED")
def test_role_tables_are_need_to_know(platform):
    """Every role maps to permissions and purposes; only data roles carry data permissions."""
    assert set(role_permissions()) == set(Role) == set(ROLE_PURPOSES)
    assert all(":" in p.value for p in Permission)
    assert not is_data_role(Role.ENGINEER)
    assert not is_data_role(Role.MAINTENANCE)
    assert is_data_role(Role.SUPPORT_AGENT)
    assert Purpose.MARKETING in ROLE_PURPOSES[Role.MARKETING]
    assert Purpose.MARKETING not in ROLE_PURPOSES[Role.FINANCE]
    assert not (role_permissions()[Role.ENGINEER] & data_permissions())
    assert CardPermission.CARDS_READ not in role_permissions()[Role.MARKETING]
    assert set(Purpose) >= set().union(*ROLE_PURPOSES.values())


@pytest.mark.policy("IS-USE-SCAN", "IS-SENS-NEED")
def test_roles_are_granted_by_others_and_audited(platform, office):
    """An ISO grants and revokes roles for others (audited), never for themself."""
    iso = make_staff(platform, "tia", Role.ISO)
    ulf = make_staff(platform, "ulf", Role.ENGINEER)
    headers = signed_in(office, iso)
    own = office.post(f"/api/staff/{iso.id}/roles", json={"role": "director"}, headers=headers)
    assert own.status_code == 403
    granted = office.post(
        f"/api/staff/{ulf.id}/roles", json={"role": "technical_operations"}, headers=headers
    )
    assert granted.status_code == 200, granted.text
    assert "technical_operations" in granted.json()["roles"]
    revoked = office.delete(f"/api/staff/{ulf.id}/roles/technical_operations", headers=headers)
    assert "technical_operations" not in revoked.json()["roles"]
    with platform.unit_of_work() as uow:
        actions = uow.session.scalars(select(AuditEvent.action)).all()
    assert "staff.role.grant" in actions
    assert "staff.role.revoke" in actions


@pytest.mark.policy("IS-USE-SCAN")
def test_service_refuses_self_grants_and_unknown_accounts(platform):
    """Object-level rules hold without the web layer too."""
    iso = make_staff(platform, "vic", Role.ISO)
    with platform.unit_of_work() as uow, pytest.raises(PermissionDenied):
        service_accounts.grant_role(uow, iso.id, Role.DIRECTOR, granted_by="t", granter_id=iso.id)


@pytest.mark.policy("DP-AWARE")
def test_training_overdue_report(platform, office, clock):
    """Accounts with no training record, or one over a year old, are listed as overdue."""
    iso = make_staff(platform, "wen", Role.ISO)
    fresh = make_staff(platform, "xia")
    make_staff(platform, "yan")
    with platform.unit_of_work() as uow:
        service_accounts.record_training(uow, iso.id, clock.now() - timedelta(days=400), by="t")
        service_accounts.record_training(uow, fresh.id, clock.now() - timedelta(days=10), by="t")
    headers = signed_in(office, iso)
    overdue = office.get("/api/staff/training-overdue", headers=headers)
    assert sorted(a["username"] for a in overdue.json()) == ["wen", "yan"]
    recorded = office.post(
        f"/api/staff/{iso.id}/training",
        json={"completed_at": datetime(2026, 3, 1, tzinfo=UTC).isoformat()},
        headers=headers,
    )
    assert recorded.status_code == 200
    overdue = office.get("/api/staff/training-overdue", headers=headers)
    assert [a["username"] for a in overdue.json()] == ["yan"]


@pytest.mark.policy("IS-PW-UNIQUE")
@pytest.mark.parametrize(
    "username", ["ab", "-lead", "has space", "ünï", "x" * 65, "trail.", "new", "Maintenance"]
)
def test_usernames_follow_the_rule(platform, username):
    """Usernames are 3-64 plain characters; anything else is refused naming the rule."""
    with platform.unit_of_work() as uow, pytest.raises(ValidationFailed, match="username"):
        service_accounts.create_account(uow, _new(username, "u@klaremont.example"), created_by="t")


@pytest.mark.policy("IS-AC-REVIEW")
def test_line_manager_must_be_someone_else_and_active(platform, office):
    """A line manager is another active account; the change is audited."""
    iso = make_staff(platform, "zoe", Role.ISO)
    amy = make_staff(platform, "amy")
    headers = signed_in(office, iso)
    self_managed = office.put(
        f"/api/staff/{amy.id}/line-manager", json={"line_manager_id": str(amy.id)}, headers=headers
    )
    assert self_managed.status_code == 422
    ok = office.put(
        f"/api/staff/{amy.id}/line-manager", json={"line_manager_id": str(iso.id)}, headers=headers
    )
    assert ok.json()["line_manager_id"] == str(iso.id)
