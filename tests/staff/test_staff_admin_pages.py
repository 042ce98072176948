"""Staff administration in the console (/staff/people): the list, a new account with its
one-time password shown once, roles and vetting, unlock, password reset, offboarding a
leaver, maintenance accounts, remote-access grants, and who may do what -- through the same
services and permissions as /api/staff."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from staff_support import PASSWORD, Staff, login, make_staff, new_client

from klaremont.audit.models import AuditEvent
from klaremont.staff import service_accounts, service_remote, service_sessions
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role, is_data_role, role_permissions
from klaremont.testing.staff import TEST_ACTOR, staff_client

HTML = {"accept": "text/html"}
_TAG = re.compile(r"<[^>]+>")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ONE_TIME = re.compile(r'<p class="secret one-time"><code>([^<]+)</code></p>')


def _said(page: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", page)).split())


def _one_time(page: str) -> str:
    found = _ONE_TIME.findall(page)
    assert len(found) == 1, "the one-time password is shown exactly once"
    return found[0]


def _count(platform, action: str) -> int:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        return int(uow.session.scalar(query) or 0)


def _audit_text(platform) -> str:
    """Every stored audit event, every column, as one text."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.execute(text("SELECT * FROM audit_events")).all()
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


def _roles(platform, username: str) -> frozenset[Role]:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = service_accounts.account_by_username(uow, username)
        return service_accounts.roles_of(uow, account.id)


def _unvetted_role() -> Role:
    """A job role that reads no personal data (so needs no vetting to be created)."""
    return next(r for r in Role if r is not Role.MAINTENANCE and not is_data_role(r))


@pytest.fixture
def iso(platform):
    """A signed-in information security officer (holds every staff permission)."""
    make_staff(platform, "ivy", Role.ISO)
    with staff_client(platform, "ivy") as client:
        client.headers.update(HTML)
        yield client


@pytest.fixture
def sam(platform) -> Staff:
    """A vetted support agent managed by someone else."""
    boss = make_staff(platform, "bea", Role.DIRECTOR)
    return make_staff(platform, "sam", Role.SUPPORT_AGENT, manager=boss.id)


def _lock(platform, staff: Staff) -> None:
    """Three wrong passwords: the account locks (IS-PW-LOCK3)."""
    with new_client(platform) as client:
        for _ in range(platform.policy.lockout.threshold):
            assert login(client, staff, password="not-the-password-at-all").status_code == 401


@pytest.mark.policy("DP-AWARE", "IS-PW-LOCK3")
def test_the_list_says_each_account_in_words(platform, iso, sam, clock):
    """Username, name, job role, manager, status (locked until HH:MM, disabled, left),
    vetting and training in words, no ids; filters checked, a bad one named (422)."""
    make_staff(platform, "erin", _unvetted_role(), vetted=False)
    _lock(platform, sam)
    page = iso.get("/staff/people")
    assert page.status_code == 200
    said = _said(page.text)
    assert "Sam Tester" in said
    assert "Support agent" in said
    assert re.search(r"Locked until \d\d:\d\d", said)
    assert "Not vetted" in said
    assert "Never recorded" in said  # training (DP-AWARE)
    assert re.search(r"sam Sam Tester Support agent bea ", said)  # the manager by username
    assert _UUID.search(page.text) is None
    locked = _said(iso.get("/staff/people?status=locked").text)
    assert "Sam Tester" in locked
    assert "Erin Tester" not in locked
    by_role = iso.get("/staff/people?role=director").text
    assert 'href="/staff/people/bea"' in by_role
    assert 'href="/staff/people/sam"' not in by_role
    for field, label in (("status", "Status"), ("role", "Role")):
        bad = iso.get(f"/staff/people?{field}=plum-sextant")
        assert bad.status_code == 422
        assert f"{label}: must be one of" in _said(bad.text)
        assert "plum-sextant" not in bad.text


@pytest.mark.policy("IS-PW-HASH", "IS-PW-UNIQUE", "IS-PW-60")
def test_a_new_account_shows_its_one_time_password_once(platform, iso, sam, caplog, capsys):
    """The answer to the form shows the one-time password; it is in no URL, log line, audit
    event or column; the person signs in with it and must change it first."""
    caplog.set_level(logging.DEBUG)
    made = iso.post(
        "/staff/people/new",
        data={
            "username": "Nora",
            "full_name": "Nora Nash",
            "work_email": "nora@klaremont.example",
            "job_role": "support_agent",
            "line_manager": "sam",
            "vetted_on": "2026-01-05",
            "training_on": "02/02/2026",
        },
        follow_redirects=False,
    )
    assert made.status_code == 200
    one_time = _one_time(made.text)
    assert "location" not in made.headers
    assert made.headers["cache-control"] == "no-store"
    captured = capsys.readouterr()
    assert one_time not in caplog.text + captured.out + captured.err
    assert one_time not in _audit_text(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = service_accounts.account_by_username(uow, "nora")
        assert one_time not in account.password_hash
        assert account.password_hash.startswith("$argon2id$")
        assert account.password_must_change
        assert account.vetted_on is not None
    assert _roles(platform, "nora") == {Role.SUPPORT_AGENT}
    shown = iso.get("/staff/people/Nora")
    assert one_time not in shown.text
    said = _said(shown.text)
    assert "Support agent" in said
    assert "Vetted 5 January 2026" in said
    assert "Due 2 February 2027" in said
    with new_client(platform) as nora:
        first = nora.post("/api/auth/login", json={"username": "nora", "password": one_time})
        assert first.status_code == 200
        assert first.json()["must_change_password"] is True
    again = iso.post(
        "/staff/people/new",
        data={
            "username": "NORA",
            "full_name": "Another Nora",
            "work_email": "nora2@klaremont.example",
            "job_role": "support_agent",
            "vetted_on": "2026-01-05",
        },
    )
    assert again.status_code == 409
    assert "That username is taken" in _said(again.text)


@pytest.mark.policy("IS-SENS-VET")
def test_a_data_role_is_refused_until_the_background_check_is_recorded(platform, iso):
    """Granting a role that reads personal data to an unvetted person is refused in words
    (on the account page and on the new-account form); once vetting is recorded it goes."""
    plain = _unvetted_role()
    make_staff(platform, "uma", plain, vetted=False)
    refused = iso.post("/staff/people/uma/grant-role", data={"role": "support_agent"})
    assert refused.status_code == 403
    said = _said(refused.text)
    assert "The Support agent role reads personal or card data" in said
    assert "once the person's background check is recorded" in said
    assert _roles(platform, "uma") == {plain}
    form = iso.post(
        "/staff/people/new",
        data={
            "username": "vic",
            "full_name": "Vic Vale",
            "work_email": "vic@klaremont.example",
            "job_role": "support_agent",
        },
    )
    assert form.status_code == 403
    said = _said(form.text)
    assert "The Support agent role reads personal or card data" in said
    assert "Enter the date of their background check, or choose another job role." in said
    assert 'action="/staff/people/new"' in form.text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert service_accounts.find_account(uow, "vic") is None
    vetted = iso.post(
        "/staff/people/uma/vetting", data={"vetted_on": "2026-02-20"}, follow_redirects=False
    )
    assert vetted.status_code == 303
    granted = iso.post(
        "/staff/people/uma/grant-role", data={"role": "support_agent"}, follow_redirects=True
    )
    assert "Role granted." in _said(granted.text)
    assert _roles(platform, "uma") == {plain, Role.SUPPORT_AGENT}
    removed = iso.post(
        "/staff/people/uma/revoke-role", data={"role": "support_agent"}, follow_redirects=True
    )
    assert "Role removed." in _said(removed.text)
    assert _roles(platform, "uma") == {plain}


@pytest.mark.policy("IS-PW-LOCK3")
def test_technical_operations_unlock_a_locked_account(platform, sam):
    """The account page says until when it is locked; technical operations unlock it and
    the person signs in again at once."""
    make_staff(platform, "tom", Role.TECHNICAL_OPERATIONS)
    _lock(platform, sam)
    with staff_client(platform, "tom") as tom:
        tom.headers.update(HTML)
        page = tom.get("/staff/people/sam")
        assert re.search(r"Locked until \d\d:\d\d", _said(page.text))
        assert 'action="/staff/people/sam/unlock"' in page.text
        assert 'action="/staff/people/sam/offboard"' not in page.text  # not theirs to do
        done = tom.post("/staff/people/sam/unlock", follow_redirects=True)
        assert "Account unlocked" in _said(done.text)
    assert _count(platform, "auth.unlock") == 1
    with new_client(platform) as client:
        assert login(client, sam).status_code == 200


@pytest.mark.policy("IS-PW-HASH", "IS-USE-CRED")
def test_a_password_reset_shows_the_new_one_once_and_ends_sessions(
    platform, iso, sam, caplog, capsys
):
    """The old password stops working, every session ends, the one-time password is shown
    once and kept nowhere in the clear."""
    caplog.set_level(logging.DEBUG)
    with staff_client(platform, "sam") as sams:
        assert sams.get("/api/auth/me").status_code == 200
        reset = iso.post("/staff/people/sam/reset-password", follow_redirects=False)
        assert reset.status_code == 200
        one_time = _one_time(reset.text)
        assert sams.get("/api/auth/me").status_code == 401
    captured = capsys.readouterr()
    assert one_time not in caplog.text + captured.out + captured.err
    assert one_time not in _audit_text(platform)
    assert _count(platform, "auth.password.reset") == 1
    with new_client(platform) as client:
        assert login(client, sam).status_code == 401
        first = login(client, sam, password=one_time)
        assert first.status_code == 200
        assert first.json()["must_change_password"] is True


def _remote_grant(platform, sam: Staff, *, approve: bool) -> None:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = service_accounts.get_account(uow, sam.id)
        grant = service_remote.request_grant(uow, account, reason="working from home", days=30)
        if approve:
            manager = service_accounts.get_account(uow, account.line_manager_id)
            service_remote.approve_grant(uow, grant.id, manager, frozenset())
            techops = service_accounts.account_by_username(uow, "tom")
            held = role_permissions()[Role.TECHNICAL_OPERATIONS]
            service_remote.approve_grant(uow, grant.id, techops, held)


@pytest.mark.policy("IS-AC-LEAVER")
def test_offboarding_revokes_everything_and_says_so(platform, iso, sam):
    """Without the confirmation nothing happens; with it one step ends the session, revokes
    the token, the remote access and the roles, the page lists them, and the person can no
    longer sign in."""
    make_staff(platform, "tom", Role.TECHNICAL_OPERATIONS)
    _remote_grant(platform, sam, approve=True)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = service_accounts.get_account(uow, sam.id)
        service_sessions.create_api_token(uow, account, name="script", scopes=["read"], mfa=False)
    with staff_client(platform, "sam") as sams:
        unconfirmed = iso.post("/staff/people/sam/offboard", data={})
        assert unconfirmed.status_code == 422
        assert "They have left: revoke everything now: must be filled in" in _said(unconfirmed.text)
        done = iso.post("/staff/people/sam/offboard", data={"confirm": "yes"})
        assert done.status_code == 200
        said = _said(done.text)
        assert "sam has been offboarded" in said
        assert "Sign-in sessions ended 1" in said
        assert "API tokens revoked 1" in said
        assert "Remote-access grants revoked 1" in said
        assert "Password Made unusable" in said
        assert "Roles removed Support agent" in said
        assert sams.get("/api/auth/me").status_code == 401
    with new_client(platform) as client:
        assert login(client, sam).status_code == 401
    assert _roles(platform, "sam") == frozenset()
    page = _said(iso.get("/staff/people/sam").text)
    assert "Left on" in page
    assert "Offboard sam" not in page
    twice = iso.post("/staff/people/sam/offboard", data={"confirm": "yes"})
    assert twice.status_code == 409
    assert "already offboarded" in _said(twice.text)
    assert _count(platform, "staff.offboard") == 1


@pytest.mark.policy("IS-AC-MAINT")
def test_a_maintenance_account_has_its_window_and_closes_itself(platform, clock):
    """Technical operations open one for a few hours; its window shows on the answer, the
    list and its page; at the end it reads as ended; a window over the policy is refused."""
    make_staff(platform, "tom", Role.TECHNICAL_OPERATIONS)
    limit = platform.policy.accounts.maintenance_max_hours
    with staff_client(platform, "tom") as tom:
        tom.headers.update(HTML)
        too_long = tom.post(
            "/staff/people/maintenance/new",
            data={
                "username": "acme-tills",
                "full_name": "Acme Tills",
                "work_email": "support@acme.example",
                "hours": str(limit + 1),
            },
        )
        assert too_long.status_code == 422
        rule = f"Open for (hours from now): must be a whole number from 1 to {limit}"
        assert rule in _said(too_long.text)
        made = tom.post(
            "/staff/people/maintenance/new",
            data={
                "username": "acme-tills",
                "full_name": "Acme Tills",
                "work_email": "support@acme.example",
                "hours": "2",
            },
        )
        assert made.status_code == 200
        _one_time(made.text)
        assert "Maintenance window: 2 March 2026, 09:30 to 11:30" in _said(made.text)
        listed = _said(tom.get("/staff/people").text)
        assert "Maintenance window 2 March 2026, 09:30 to 11:30" in listed
        page = _said(tom.get("/staff/people/acme-tills").text)
        assert "Maintenance window 2 March 2026, 09:30 to 11:30" in page
        assert "Line manager tom" in page
        assert "Maintenance (time-boxed)" in page
    assert _roles(platform, "acme-tills") == {Role.MAINTENANCE}
    assert _count(platform, "staff.maintenance.create") == 1
    clock.advance(timedelta(hours=3))
    with staff_client(platform, "tom") as tom:
        assert "Window ended 2 March 2026, 11:30" in _said(tom.get("/staff/people").text)


@pytest.mark.policy("IS-RA-2FA")
def test_remote_grants_are_shown_in_words_and_revoked(platform, iso, sam):
    """Each grant's state in words; a holder of remote:revoke revokes one; the DPO (read
    only) sees them without the form."""
    make_staff(platform, "tom", Role.TECHNICAL_OPERATIONS)
    make_staff(platform, "dot", Role.DPO)
    _remote_grant(platform, sam, approve=False)
    _remote_grant(platform, sam, approve=True)
    page = iso.get("/staff/people/sam")
    said = _said(page.text)
    assert "Waiting for the line manager and technical operations" in said
    assert re.search(r"Active until 1 April 2026, \d\d:\d\d", said)
    refs = re.findall(r'name="grant" value="([^"]+)"', page.text)
    assert len(refs) == 2
    revoked = iso.post(
        "/staff/people/sam/revoke-remote",
        data={"grant": refs[1], "reason": "no longer needed"},
        follow_redirects=True,
    )
    said = _said(revoked.text)
    assert "Remote access revoked." in said
    assert "(no longer needed)" in said
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert service_remote.active_grant(uow, sam.id) is None
    with staff_client(platform, "dot") as dot:
        dot.headers.update(HTML)
        shown = dot.get("/staff/people/sam")
        assert "Waiting for the line manager" in _said(shown.text)
        assert 'name="grant"' not in shown.text


@pytest.mark.policy("IS-SENS-NEED", "IS-USE-SCAN")
def test_a_role_without_the_permission_gets_the_html_403_page(platform, sam):
    """The DPO reads the list but may not create or unlock; support may not read it. Each
    refusal is the console's 403 page and an authz.denied event."""
    make_staff(platform, "dot", Role.DPO)
    before = _count(platform, "authz.denied")
    with staff_client(platform, "dot") as dot:
        dot.headers.update(HTML)
        assert dot.get("/staff/people").status_code == 200
        page = dot.get("/staff/people/sam")
        assert page.status_code == 200
        assert "/unlock" not in page.text
        assert "/offboard" not in page.text
        for response in (dot.get("/staff/people/new"), dot.post("/staff/people/sam/unlock")):
            assert response.status_code == 403
            assert response.headers["content-type"].startswith("text/html")
            assert "Permission denied" in _said(response.text)
    with staff_client(platform, "sam") as support:
        support.headers.update(HTML)
        assert support.get("/staff/people").status_code == 403
    assert _count(platform, "authz.denied") == before + 3


@pytest.mark.policy("IS-SENS-NEED", "IS-USE-LOCK")
def test_an_action_needs_a_fresh_password_entry(platform, iso, sam, clock):
    """Past the re-authentication window the account page still reads, but an action sends
    the browser to enter the password again, then back to the account page."""
    clock.advance(timedelta(minutes=platform.policy.sessions.reauth_for_sensitive_minutes + 1))
    assert iso.get("/staff/people/sam").status_code == 200
    sent = iso.post("/staff/people/sam/reset-password", follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/staff/reauth?next=/staff/people/sam"
    assert _count(platform, "auth.password.reset") == 0
    # a form posted to the page that drew it comes back to that page
    maintenance = iso.post("/staff/people/maintenance/new", follow_redirects=False)
    assert maintenance.headers["location"] == "/staff/reauth?next=/staff/people/maintenance/new"


@pytest.mark.policy("IS-SENS-NEED")
def test_bad_input_names_the_field_and_keeps_nothing(platform, iso, sam):
    """A date that is no date, a date in the future, an over-long reason, an unknown line
    manager or e-mail: 422 naming the field by its label, the value not shown back."""
    cases = [
        ("vetting", {"vetted_on": "31/02/2026"}, "Background check completed on: must be a date"),
        ("vetting", {"vetted_on": "2027-01-01"}, "Background check completed on: must not be"),
        ("training", {"training_on": "plum"}, "Training completed on: must be a date"),
        ("disable", {"reason": "x" * 65}, "Reason for disabling: must be at most 64 characters"),
        ("line-manager", {"line_manager": "nobody-here"}, "Line manager: must be one of"),
        ("grant-role", {"role": "overlord"}, "Role to grant: must be one of the roles listed"),
    ]
    for action, data, words in cases:
        response = iso.post(f"/staff/people/sam/{action}", data=data)
        assert response.status_code == 422, (action, response.status_code)
        assert words in _said(response.text), (action, _said(response.text))
        for value in data.values():
            assert f'value="{value}"' not in response.text
    email = iso.post(
        "/staff/people/new",
        data={
            "username": "wren",
            "full_name": "Wren Wilde",
            "work_email": "not-an-address",
            "job_role": "support_agent",
            "vetted_on": "2026-01-05",
        },
    )
    assert email.status_code == 422
    assert "Work e-mail: must be an e-mail address" in _said(email.text)
    assert "not-an-address" not in email.text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = uow.session.get(StaffAccount, sam.id)
        assert account is not None
        assert account.status == "active"
        assert str(account.vetted_on) == "2025-01-06"


@pytest.mark.policy("IS-SENS-NEED")
def test_nobody_acts_on_their_own_roles_or_offboards_themselves(platform, iso):
    """The ISO's own page offers no role changes, unlock, reset or offboarding; a forged
    post is refused by the service, said on the page."""
    page = iso.get("/staff/people/ivy")
    assert "/grant-role" not in page.text
    assert "/offboard" not in page.text
    assert "someone else changes its roles" in _said(page.text)
    forged = iso.post("/staff/people/ivy/offboard", data={"confirm": "yes"})
    assert forged.status_code == 403
    assert "Nobody may offboard their own account." in _said(forged.text)
    assert _roles(platform, "ivy") == {Role.ISO}
    with new_client(platform) as client:  # nothing was revoked: the ISO still signs in
        signed = client.post("/api/auth/login", json={"username": "ivy", "password": PASSWORD})
        assert signed.status_code == 200


@pytest.mark.policy("SP-IRT-MEMBERS")
def test_a_job_title_and_grade_are_recorded_for_the_incident_team(platform, iso, sam):
    """The ISO records what a person is called at work and their grade (who stands in for an
    incident team's seat); the list and the account page show it; a grade out of range is
    refused naming the field; the change is audited."""
    done = iso.post(
        "/staff/people/sam/job",
        data={"job_title": "Senior Engineer", "seniority": "8"},
        follow_redirects=True,
    )
    assert done.status_code == 200
    page = _said(done.text)
    assert "Job title and grade recorded." in page
    assert "Senior Engineer · grade 8 of 10" in page
    assert "Senior Engineer, grade 8" in _said(iso.get("/staff/people").text)
    for bad in ("11", "0", "eight"):
        refused = iso.post("/staff/people/sam/job", data={"job_title": "X", "seniority": bad})
        assert refused.status_code == 422
        assert "Seniority grade" in _said(refused.text)
    with platform.unit_of_work() as uow:
        account = service_accounts.account_by_username(uow, "sam")
        assert (account.job_title, account.seniority) == ("Senior Engineer", 8)
    assert "Senior Engineer" in _audit_text(platform)
    cleared = iso.post(
        "/staff/people/sam/job",
        data={"job_title": "", "seniority": ""},
        follow_redirects=False,
    )
    assert cleared.status_code == 303
    with platform.unit_of_work() as uow:
        account = service_accounts.account_by_username(uow, "sam")
        assert (account.job_title, account.seniority) == (None, None)


@pytest.mark.policy("SP-IRT-MEMBERS")
def test_the_api_records_a_job_title_and_grade(platform, iso, sam):
    """``PUT /api/staff/{id}/job`` and the create body carry the title and grade; a grade
    out of range is a 422 naming ``seniority``."""
    with platform.unit_of_work() as uow:
        sam_id = service_accounts.account_by_username(uow, "sam").id
    iso.headers["accept"] = "application/json"
    set_job = iso.put(
        f"/api/staff/{sam_id}/job", json={"job_title": "Account Manager", "seniority": 6}
    )
    assert set_job.status_code == 200, set_job.text
    assert (set_job.json()["job_title"], set_job.json()["seniority"]) == ("Account Manager", 6)
    bad = iso.put(f"/api/staff/{sam_id}/job", json={"job_title": "x", "seniority": 11})
    assert bad.status_code == 422
    assert "seniority" in bad.text
    card = iso.put(f"/api/staff/{sam_id}/job", json={"job_title": "4111 1111 1111 1111"})
    assert card.status_code == 422
    # the number is never echoed, spaced or not (a random request id may hold "4111")
    assert "4111 1111" not in card.text
    assert "4111111111111111" not in card.text
