"""Live checks of the password and access clauses: they hold on sound staff data and fail,
naming the account, when a control is broken underneath them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select
from staff_support import NEW_PASSWORD, make_staff

from klaremont.config import Environment
from klaremont.policy.live import REGISTRY, LiveStatus, StaticContext, load_all_checks
from klaremont.staff.hashing import PasswordHashing
from klaremont.staff.models import PasswordHistory, StaffAccount, StaffRole
from klaremont.staff.permissions import Role, permissions_of
from klaremont.staff.service_accounts import roles_of
from klaremont.staff.service_passwords import change_password
from klaremont.staff.service_remote import approve_grant, request_grant
from klaremont.staff.service_sessions import start_session


def _live(platform, clause: str):
    load_all_checks()
    return REGISTRY.run(clause, platform)


def _edit(platform, username: str, **values) -> None:
    with platform.unit_of_work() as uow:
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == username)
        ).one()
        for name, value in values.items():
            setattr(account, name, value)


def _session(platform, username: str, origin: str, *, remote: bool = False, mfa: bool = False):
    with platform.unit_of_work(origin=origin) as uow:
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == username)
        ).one()
        start_session(uow, account, mfa=mfa, remote=remote, must_change_password=False)


@pytest.mark.policy("IS-PW-HASH")
def test_every_stored_password_must_be_a_current_argon2id_hash(platform):
    """Holds on accounts made by the service; a non-Argon2 hash or older parameters fail."""
    make_staff(platform, "hana")
    make_staff(platform, "hugo")
    held = _live(platform, "IS-PW-HASH")
    assert held.status is LiveStatus.HOLDS, held.detail
    assert "2 stored password(s), all argon2id" in held.detail
    params = platform.policy.passwords.hash
    older = PasswordHashing(params.time_cost + 1, params.memory_kib, params.parallelism)
    _edit(platform, "hugo", password_hash=older.hash("some-old-password-1"))
    stale = _live(platform, "IS-PW-HASH")
    assert stale.status is LiveStatus.FAILS
    assert "other parameters" in stale.detail
    assert "hugo" in stale.detail
    _edit(platform, "hana", password_hash="$2b$12$" + "a" * 53)
    weak = _live(platform, "IS-PW-HASH")
    assert weak.status is LiveStatus.FAILS
    assert weak.detail == "not an Argon2id hash: hana"


@pytest.mark.policy("IS-PW-UNIQUE")
def test_no_two_accounts_share_a_name_or_a_password_hash(platform):
    """Holds for separately made accounts; a hash copied to another account fails naming both."""
    make_staff(platform, "una")
    make_staff(platform, "ugo")
    assert _live(platform, "IS-PW-UNIQUE").status is LiveStatus.HOLDS
    with platform.unit_of_work() as uow:
        una = uow.session.scalars(select(StaffAccount).where(StaffAccount.username == "una")).one()
        copied = una.password_hash
    _edit(platform, "ugo", password_hash=copied)
    shared = _live(platform, "IS-PW-UNIQUE")
    assert shared.status is LiveStatus.FAILS
    assert shared.detail == "accounts holding a copied password hash: ugo and una"


@pytest.mark.policy("IS-PW-STRONG")
def test_password_rules_are_strict_and_history_is_kept(platform, clock):
    """Holds after a change that kept the old password; fails when the history is lost or the
    policy asks fewer characters than PCI DSS."""
    make_staff(platform, "stef")
    clock.advance(timedelta(days=2))
    with platform.unit_of_work() as uow:
        account = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == "stef")
        ).one()
        change_password(uow, account, NEW_PASSWORD, keep_session=None)
    held = _live(platform, "IS-PW-STRONG")
    assert held.status is LiveStatus.HOLDS, held.detail
    assert "12+ characters" in held.detail
    with platform.unit_of_work() as uow:
        uow.session.execute(delete(PasswordHistory))
    lost = _live(platform, "IS-PW-STRONG")
    assert lost.status is LiveStatus.FAILS
    assert lost.detail == "password changed but no previous one kept to refuse: stef"
    rules = platform.policy.passwords.model_copy(update={"min_length": 8})
    platform.policy = platform.policy.model_copy(update={"passwords": rules})
    loose = _live(platform, "IS-PW-STRONG")
    assert loose.status is LiveStatus.FAILS
    assert "minimum length 8" in loose.detail


@pytest.mark.policy("IS-USE-CRED")
def test_an_account_used_from_two_places_at_once_fails(platform):
    """One place holds; a second live session from elsewhere is the credential-sharing signal."""
    make_staff(platform, "cara")
    _session(platform, "cara", "127.0.0.1")
    _session(platform, "cara", "127.0.0.1")
    held = _live(platform, "IS-USE-CRED")
    assert held.status is LiveStatus.HOLDS, held.detail
    _session(platform, "cara", "198.51.100.7")
    shared = _live(platform, "IS-USE-CRED")
    assert shared.status is LiveStatus.FAILS
    assert shared.detail == "live sessions from more than one place at once: cara (2 places)"


@pytest.mark.policy("IS-USE-SCAN")
def test_a_role_not_granted_through_the_guard_fails(platform, clock):
    """Roles granted by the service hold; one written past it (no audited grant) or granted
    by its own holder fails."""
    make_staff(platform, "gus", Role.ENGINEER)
    held = _live(platform, "IS-USE-SCAN")
    assert held.status is LiveStatus.HOLDS, held.detail
    with platform.unit_of_work() as uow:
        gus = uow.session.scalars(select(StaffAccount).where(StaffAccount.username == "gus")).one()
        uow.session.add(
            StaffRole(account_id=gus.id, role="dpo", granted_at=clock.now(), granted_by="root")
        )
    sneaked = _live(platform, "IS-USE-SCAN")
    assert sneaked.status is LiveStatus.FAILS
    assert sneaked.detail == "gus's dpo role has no audited grant"
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(select(StaffRole).where(StaffRole.role == "dpo")).one()
        row.granted_by = "gus"
    assert _live(platform, "IS-USE-SCAN").detail == "gus granted themself dpo"


@pytest.mark.policy("IS-RA-CRYPTO")
def test_remote_sessions_need_a_second_factor_and_a_grant(platform):
    """No remote session holds; one without a second factor or grant fails; production over
    http fails before the sessions are looked at."""
    make_staff(platform, "rita")
    assert _live(platform, "IS-RA-CRYPTO").status is LiveStatus.HOLDS
    _session(platform, "rita", "203.0.113.9", remote=True, mfa=True)
    bare = _live(platform, "IS-RA-CRYPTO")
    assert bare.status is LiveStatus.FAILS
    assert bare.detail == "remote sessions without a second factor or a grant: rita"
    manager = make_staff(platform, "mona", Role.DIRECTOR)
    ops = make_staff(platform, "otto", Role.TECHNICAL_OPERATIONS)
    with platform.unit_of_work() as uow:
        rita = uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == "rita")
        ).one()
        rita.line_manager_id = manager.id
        grant = request_grant(uow, rita, reason="on call from home", days=2)
        for approver in (manager.id, ops.id):
            account = uow.session.get(StaffAccount, approver)
            roles = roles_of(uow, approver)
            approve_grant(uow, grant.id, account, permissions_of(roles))
    held = _live(platform, "IS-RA-CRYPTO")
    assert held.status is LiveStatus.HOLDS, held.detail
    assert "1 live remote session(s)" in held.detail
    production = platform.settings.model_copy(update={"environment": Environment.PRODUCTION})
    static = StaticContext(settings=production, policy=platform.policy, clock=platform.clock)
    plain = _live(static, "IS-RA-CRYPTO")
    assert plain.status is LiveStatus.FAILS
    assert plain.detail.startswith("KLAREMONT_PUBLIC_URL: plaintext HTTP")


@pytest.mark.policy("IS-SENS-NEED")
def test_a_role_beyond_the_job_fails_need_to_know(platform):
    """Job roles hold; a support agent also holding marketing fails, naming the extra role."""
    make_staff(platform, "sid")
    assert _live(platform, "IS-SENS-NEED").status is LiveStatus.HOLDS
    make_staff(platform, "sue", extra_roles=(Role.MARKETING,))
    beyond = _live(platform, "IS-SENS-NEED")
    assert beyond.status is LiveStatus.FAILS
    assert beyond.detail == "roles beyond the job's need: sue (marketing)"


@pytest.mark.policy("IS-SENS-VET")
def test_data_roles_need_a_background_check_before_the_grant(platform):
    """Vetted holders hold; a holder with no vetting, or vetted after the grant, fails."""
    make_staff(platform, "vic")
    make_staff(platform, "val", Role.FINANCE)
    held = _live(platform, "IS-SENS-VET")
    assert held.status is LiveStatus.HOLDS, held.detail
    assert held.detail.startswith("2 holder(s)")
    _edit(platform, "vic", vetted_on=None)
    never = _live(platform, "IS-SENS-VET")
    assert never.status is LiveStatus.FAILS
    assert never.detail == "data roles held without a background check: vic (never vetted)"
    _edit(platform, "vic", vetted_on=date(2026, 3, 2) + timedelta(days=1))
    assert "vic (vetted 03/03/2026, after the grant)" in _live(platform, "IS-SENS-VET").detail


@pytest.mark.policy("IS-PW-HASH", "IS-SENS-VET")
def test_without_a_database_the_checks_say_unknown(platform):
    """A context with no database cannot look at the accounts: unknown, with the reason."""
    static = StaticContext(settings=platform.settings, policy=platform.policy, clock=platform.clock)
    for clause in ("IS-PW-HASH", "IS-PW-UNIQUE", "IS-USE-SCAN", "IS-SENS-VET"):
        outcome = _live(static, clause)
        assert outcome.status is LiveStatus.UNKNOWN, clause
        assert "not inspected (no database in this context)" in outcome.detail
