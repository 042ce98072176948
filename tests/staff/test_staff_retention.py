"""A leaver's account is anonymised a year after they left: pseudonym, no secrets, no key."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from staff_support import NEW_PASSWORD, make_staff
from typer.testing import CliRunner

from klaremont.audit.events import Actor, ActorType
from klaremont.audit.models import AuditEvent
from klaremont.backup import service as backup
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.retention import engine
from klaremont.staff import service_lifecycle, service_mfa, service_passwords, service_sessions
from klaremont.staff.models import RecoveryCode, StaffAccount
from klaremont.staff.permissions import Role
from klaremont.staff.retention import SECRETS
from klaremont.staff.token_scopes import Scope
from klaremont.testing.retention import dry_run_then_run
from klaremont.testing.staff import TEST_ACTOR, staff_client

TARGET = ("staff.leavers",)
A_YEAR = relativedelta(months=12)  # the policy's retention.staff_accounts.period
_TAG = re.compile(r"<[^>]+>")


def _with_secrets(platform, staff) -> None:
    """What a person who signed in leaves behind: an old password, a session, an API token,
    an authenticator and a recovery code (offboarding ends and revokes, removes the last two)."""
    with platform.unit_of_work(actor=Actor(ActorType.STAFF, str(staff.id))) as uow:
        account = uow.session.get(StaffAccount, staff.id)
        service_passwords.change_password(uow, account, NEW_PASSWORD, keep_session=None)
        service_sessions.start_session(
            uow, account, mfa=False, remote=False, must_change_password=False
        )
        service_sessions.create_api_token(
            uow, account, name="nightly", scopes=[Scope.READ], mfa=False
        )
    _authenticator(platform, staff)


def _authenticator(platform, staff) -> None:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = uow.session.get(StaffAccount, staff.id)
        service_mfa.enrol_known_key(uow, account, "JBSWY3DPEHPK3PXP")
        code = hashlib.sha256(staff.username.encode()).hexdigest()
        uow.session.add(
            RecoveryCode(account_id=account.id, code_hash=code, created_at=uow.clock.now())
        )


def _secrets(platform, account_id) -> dict[str, int]:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return {
            model.__tablename__: int(
                uow.session.scalar(
                    select(func.count()).select_from(model).where(model.account_id == account_id)
                )
                or 0
            )
            for model in SECRETS
        }


def _offboard(platform, staff) -> None:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        service_lifecycle.offboard(uow, staff.id, by="test")


def _account(platform, account_id) -> SimpleNamespace:
    """The account's columns, its sealed name and e-mail opened."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = uow.session.get(StaffAccount, account_id)
        return SimpleNamespace(
            **{c.key: getattr(account, c.key) for c in StaffAccount.__mapper__.column_attrs},
            full_name=account.full_name,
            work_email=account.work_email,
        )


def _key_destroyed(platform, account) -> bool:
    return platform.keystore.is_destroyed(account.subject_id)


@pytest.mark.policy("PP-KEEP", "IS-AC-LEAVER", "IS-SENS-DISPOSE")
def test_a_leavers_account_is_anonymised_a_year_after_they_left(platform, clock):
    boss = make_staff(platform, "bea", Role.DIRECTOR)
    first = make_staff(platform, "finn", Role.SUPPORT_AGENT, manager=boss.id)
    later = make_staff(platform, "lara", Role.SUPPORT_AGENT)
    stays = make_staff(platform, "stan", Role.SUPPORT_AGENT)
    for staff in (first, later, stays):
        _with_secrets(platform, staff)
    _offboard(platform, first)
    _authenticator(platform, first)  # as if left behind (offboarded before that was removed)
    left_at = clock.now()
    clock.advance(timedelta(hours=1))
    _offboard(platform, later)
    before = {s.username: _secrets(platform, s.id) for s in (first, later, stays)}
    assert all(all(before[name].values()) for name in ("finn", "stan"))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        by_finn = uow.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.actor_id == str(first.id))
        )
    assert by_finn  # the audit log names finn's account as the actor of his password change

    clock.set(left_at + A_YEAR - timedelta(seconds=1))  # a second early: nothing changes
    early = dry_run_then_run(platform, TARGET)
    assert early.listed == early.purged == {"staff.leavers": []}
    assert early.changed == {}
    assert _account(platform, first.id).username == "finn"

    clock.set(left_at + A_YEAR)
    ran = dry_run_then_run(platform, TARGET)
    assert ran.listed == ran.purged == {"staff.leavers": [first.id.hex]}
    assert ran.done == {"staff.leavers": 1}
    gone = {name: -n for name, n in before["finn"].items() if n}
    assert ran.changed == gone  # finn's secrets, and nothing else anywhere
    finn = _account(platform, first.id)
    assert finn.username == finn.username_key == f"former-staff-{first.id.hex}"
    assert (finn.full_name, finn.work_email, finn.line_manager_id, finn.vetted_on) == (None,) * 4
    assert finn.status == "offboarded"
    assert _secrets(platform, first.id) == dict.fromkeys(before["finn"], 0)
    assert _key_destroyed(platform, finn)
    assert not _key_destroyed(platform, _account(platform, later.id))
    assert _secrets(platform, stays.id) == before["stan"]
    assert _account(platform, later.id).username == "lara"

    clock.advance(timedelta(minutes=59, seconds=59))  # lara left an hour later: a second early
    assert dry_run_then_run(platform, TARGET).listed == {"staff.leavers": []}
    clock.advance(timedelta(seconds=1))
    then = dry_run_then_run(platform, TARGET)
    assert then.listed == then.purged == {"staff.leavers": [later.id.hex]}
    assert _account(platform, later.id).username == f"former-staff-{later.id.hex}"

    again = dry_run_then_run(platform, TARGET)  # a second run does nothing
    assert again.listed == again.purged == {"staff.leavers": []}
    assert again.changed == {}
    assert _account(platform, stays.id).full_name == "Stan Tester"
    assert _account(platform, boss.id).full_name == "Bea Tester"
    assert platform.audit.verify(platform.engine).ok


@pytest.mark.policy("IS-AC-LEAVER")
def test_the_console_shows_a_former_member_of_staff(platform, clock):
    """The people list and the audit log still read, the leaver as their pseudonym."""
    leaver = make_staff(platform, "finn", Role.SUPPORT_AGENT)
    _with_secrets(platform, leaver)
    _offboard(platform, leaver)
    clock.advance(timedelta(days=400))
    assert engine.run(platform).plans_by_target()["staff.leavers"].done == 1
    make_staff(platform, "ivy", Role.ISO)
    with staff_client(platform, "ivy") as iso:
        people = iso.get("/staff/people", headers={"accept": "text/html"})
        assert people.status_code == 200
        said = " ".join(html.unescape(_TAG.sub(" ", people.text)).split())
        assert f"former-staff-{leaver.id.hex}" in said
        assert "Finn Tester" not in said
        log = iso.get("/staff/audit", headers={"accept": "text/html"})
        assert log.status_code == 200
        assert f"former-staff-{leaver.id.hex}" in log.text


@pytest.mark.policy("PP-KEEP", "IS-SENS-DISPOSE")
def test_a_restore_from_before_the_anonymising_does_not_bring_the_name_back(platform, clock):
    """Restored from a backup taken before the run, the ledger anonymises the account again,
    its secrets go again and its data key (back with the keystore) is destroyed again."""
    leaver = make_staff(platform, "finn", Role.SUPPORT_AGENT)
    _with_secrets(platform, leaver)
    _offboard(platform, leaver)
    clock.advance(timedelta(days=400))
    path, _ = backup.create(platform)
    assert engine.run(platform).plans_by_target()["staff.leavers"].done == 1
    use_platform(platform)
    try:
        result = CliRunner().invoke(main.app, ["backup", "restore", str(path), "--yes"])
        assert result.exit_code == 0, result.output
    finally:
        use_platform(None)
    finn = _account(platform, leaver.id)
    assert (finn.username, finn.full_name) == (f"former-staff-{leaver.id.hex}", None)
    assert not any(_secrets(platform, leaver.id).values())
    assert _key_destroyed(platform, finn)
