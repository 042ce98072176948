"""Remote access in the console (IS-RA-2FA): asked for by the member of staff, approved by
their line manager and by technical operations (two different people, neither of them the
grantee), revoked by the ISO or technical operations; through the same service as the API."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import Staff, make_staff, new_client, signed_in

from klaremont.audit.events import AuditAction
from klaremont.audit.models import AuditEvent
from klaremont.display import uk_date
from klaremont.staff import service_remote
from klaremont.staff.actions import StaffAction
from klaremont.staff.permissions import Role

PAGE = "/staff/remote-access"
BROWSER = {"Accept": "text/html"}
_GRANT = re.compile(r'name="grant" value="([0-9a-f-]{36})"')
_TAGS = re.compile(r"<[^>]+>")


class Browser:
    """One person's signed-in browser: session cookie, the token as a form field."""

    def __init__(self, platform, staff: Staff) -> None:
        self.client = new_client(platform)
        self.staff = staff
        self.token = signed_in(self.client, staff)["X-CSRF-Token"]

    def page(self) -> str:
        response = self.client.get(PAGE, headers=BROWSER)
        assert response.status_code == 200, response.text
        return response.text

    def post(self, action: str, **fields: str):
        return self.client.post(
            f"{PAGE}/{action}",
            data={"csrf_token": self.token, **fields},
            headers=BROWSER,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def team(platform):
    """remy (support) whose line manager is mona (director); theo in technical operations;
    finn in finance (approves nothing); isla the ISO (revokes)."""
    mona = make_staff(platform, "mona", Role.DIRECTOR)
    return {
        "mona": mona,
        "remy": make_staff(platform, "remy", manager=mona.id),
        "theo": make_staff(platform, "theo", Role.TECHNICAL_OPERATIONS),
        "finn": make_staff(platform, "finn", Role.FINANCE),
        "isla": make_staff(platform, "isla", Role.ISO),
    }


@pytest.fixture
def browsers(platform, team):
    opened: dict[str, Browser] = {}

    class Browsers(dict):
        def __missing__(self, name: str) -> Browser:
            opened[name] = self[name] = Browser(platform, team[name])
            return opened[name]

    yield Browsers()
    for browser in opened.values():
        browser.close()


def _text(page: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", page)).split())


def _section(page: str, heading: str) -> str:
    """The page's text from ``heading`` to the next heading of the same level."""
    text = _text(page.replace("<h2>", "<h2>\x00"))
    for part in text.split("\x00"):
        if part.strip().startswith(heading):
            return part
    return ""


def _ask(browser: Browser, reason: str = "working from home next week", days: str = "5") -> None:
    asked = browser.post("request", reason=reason, days=days)
    assert asked.status_code == 303, asked.text
    assert asked.headers["location"] == f"{PAGE}?done=requested"


def _grant_on(page: str) -> str:
    found = _GRANT.findall(page)
    assert len(found) == 1, found
    return found[0]


def _events(platform, action: str) -> list[AuditEvent]:
    with platform.unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


def _remys_grant(platform, team):
    with platform.unit_of_work() as uow:
        grant = service_remote.grants_of(uow, team["remy"].id)[0]
        uow.session.expunge(grant)
        return grant


@pytest.mark.policy("IS-RA-2FA")
def test_asked_then_approved_by_the_line_manager_then_technical_operations(
    platform, team, browsers
):
    """Each step shows its state in words; the second approval makes the grant active."""
    remy = browsers["remy"]
    first = _text(remy.page())
    assert "You have not asked for remote access." in first
    assert "Your line manager, mona (Mona Tester), and then technical operations" in first
    _ask(remy)
    own = _section(remy.page(), "Your remote access")
    assert "Waiting for your line manager and technical operations" in own
    assert "working from home next week" in own

    mona = browsers["mona"].page()
    waiting = _section(mona, "Waiting for your approval")
    for shown in ("remy", "Remy Tester", "working from home next week", "5 days", "nobody yet"):
        assert shown in waiting, (shown, waiting)
    assert "their line manager" in waiting
    grant = _grant_on(mona)
    approved = browsers["mona"].post("approve", grant=grant)
    assert approved.status_code == 303, approved.text
    assert approved.headers["location"] == f"{PAGE}?done=approved"
    assert "now waits for its other approval" in _text(
        browsers["mona"].client.get(approved.headers["location"], headers=BROWSER).text
    )
    assert "Nothing is waiting for your approval." in _text(browsers["mona"].page())
    own = _section(remy.page(), "Your remote access")
    assert "Waiting for technical operations" in own
    assert "mona, as line manager" in own

    theo = browsers["theo"].page()
    waiting = _section(theo, "Waiting for your approval")
    assert "remy" in waiting
    assert "mona, as line manager" in waiting
    assert "technical operations" in waiting
    done = browsers["theo"].post("approve", grant=_grant_on(theo))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{PAGE}?done=active"

    row = _remys_grant(platform, team)
    with platform.unit_of_work() as uow:
        assert service_remote.is_active(row, uow)
        assert service_remote.active_grant(uow, team["remy"].id) is not None
    own = _section(remy.page(), "Your remote access")
    assert f"Active until {uk_date(row.expires_at)}" in own
    assert "theo, as technical operations" in own
    grants = _events(platform, StaffAction.REMOTE_GRANT)
    assert [json.loads(e.details)["as"] for e in grants] == ["line_manager", "technical_operations"]
    assert json.loads(grants[-1].details)["active"] is True
    assert all(e.actor_id != str(team["remy"].id) for e in grants)


@pytest.mark.policy("IS-RA-2FA", "IS-USE-SCAN")
def test_the_grantee_cannot_approve_and_nobody_approves_twice(platform, team, browsers):
    """The service refuses self-approval and a second approval by the same person; the page
    says its message, nothing is approved, and each refusal is recorded as authz.denied."""
    remy = browsers["remy"]
    _ask(remy)
    grant = _grant_on(browsers["mona"].page())
    own = remy.post("approve", grant=grant)
    assert own.status_code == 403
    assert own.headers["content-type"].startswith("text/html")
    assert "Nobody may approve their own remote access." in _text(own.text)
    assert "Sign out remy" in own.text  # the page itself, not a bare error
    assert browsers["mona"].post("approve", grant=grant).status_code == 303
    twice = browsers["mona"].post("approve", grant=grant)
    assert twice.status_code == 403
    assert "Remote access needs two different approvers." in _text(twice.text)
    row = _remys_grant(platform, team)
    assert row.manager_approved_by == team["mona"].id
    assert row.techops_approved_by is None
    refusals = _events(platform, AuditAction.PERMISSION_DENIED)
    denied = [e for e in refusals if e.resource == f"remote-grant:{grant}"]
    assert [e.actor_id for e in denied] == [str(team["remy"].id), str(team["mona"].id)]
    assert all(e.outcome == "denied" for e in denied)
    assert all(json.loads(e.details)["code"] == "permission-denied" for e in denied)


@pytest.mark.policy("IS-RA-2FA", "IS-USE-SCAN")
def test_someone_who_may_not_approve_sees_nothing_and_a_forged_approval_is_refused(
    platform, team, browsers
):
    """Finance is neither remy's line manager nor technical operations: nothing waits for
    them, and a hand-made approval is refused on the page, audited, and changes nothing."""
    _ask(browsers["remy"])
    grant = _grant_on(browsers["mona"].page())
    finn = browsers["finn"].page()
    assert "Nothing is waiting for your approval." in _text(finn)
    assert "remy" not in _section(finn, "Waiting for your approval")
    assert 'name="grant"' not in finn
    assert "Remote access active now" not in finn  # revoking is not theirs either
    forged = browsers["finn"].post("approve", grant=grant)
    assert forged.status_code == 403
    assert forged.headers["content-type"].startswith("text/html")
    said = _text(forged.text)
    assert "Only the grantee's line manager and technical operations approve remote access." in said
    row = _remys_grant(platform, team)
    assert (row.manager_approved_by, row.techops_approved_by) == (None, None)
    denied = _events(platform, AuditAction.PERMISSION_DENIED)[-1]
    assert denied.actor_id == str(team["finn"].id)
    assert denied.resource == f"remote-grant:{grant}"
    assert denied.outcome == "denied"
    assert not _events(platform, StaffAction.REMOTE_GRANT)


@pytest.mark.policy("IS-RA-2FA")
def test_asking_without_a_line_manager_is_refused_plainly(platform, team, browsers):
    """Nobody could approve it: the form says so before, and the request is refused."""
    theo = browsers["theo"]
    assert "No line manager is recorded for you" in _text(theo.page())
    refused = theo.post("request", reason="on call this weekend", days="2")
    assert refused.status_code == 409
    assert "Remote access needs a line manager to approve it; none is recorded." in _text(
        refused.text
    )
    with platform.unit_of_work() as uow:
        assert not service_remote.grants_of(uow, team["theo"].id)


@pytest.mark.policy("IS-RA-2FA", "IS-AC-LEAVER")
def test_the_iso_revokes_an_active_grant_and_others_may_not(platform, team, browsers):
    """Holders of remote:revoke see the active grants with a Revoke form; revoking ends the
    grant at once (audited with the reason); someone without the permission is refused."""
    _ask(browsers["remy"])
    grant = _grant_on(browsers["mona"].page())
    assert browsers["mona"].post("approve", grant=grant).status_code == 303
    assert browsers["theo"].post("approve", grant=grant).status_code == 303
    isla = browsers["isla"].page()
    active = _section(isla, "Remote access active now")
    assert "remy" in active
    assert "Remy Tester" in active
    assert "mona, as line manager" in active
    assert "Remote access active now" not in browsers["remy"].page()
    refused = browsers["finn"].post("revoke", grant=grant, reason="left the team")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert _events(platform, AuditAction.PERMISSION_DENIED)[-1].actor_id == str(team["finn"].id)
    revoked = browsers["isla"].post("revoke", grant=grant, reason="left the team")
    assert revoked.status_code == 303, revoked.text
    assert revoked.headers["location"] == f"{PAGE}?done=revoked"
    row = _remys_grant(platform, team)
    with platform.unit_of_work() as uow:
        assert not service_remote.is_active(row, uow)
        assert service_remote.active_grant(uow, team["remy"].id) is None
    assert row.revoked_reason == "left the team"
    assert "Nobody has remote access now." in _text(browsers["isla"].page())
    assert f"Revoked on {uk_date(row.revoked_at)}" in _section(
        browsers["remy"].page(), "Your remote access"
    )
    event = _events(platform, StaffAction.REMOTE_REVOKE)[-1]
    assert event.actor_id == str(team["isla"].id)
    assert json.loads(event.details)["reason"] == "left the team"


@pytest.mark.policy("IS-RA-2FA")
def test_bad_input_names_the_field_and_asks_nothing_of_the_service(platform, team, browsers):
    """Days out of range or not a number, a reason too short or missing: the page again
    (422) naming the field by its label and the rule, never the value typed; nothing asked."""
    remy = browsers["remy"]
    for days in ("0", "366", "ten"):
        bad = remy.post("request", reason="working from home", days=days)
        assert bad.status_code == 422, (days, bad.status_code)
        said = _text(bad.text)
        assert "For how many days (1 to 365): a whole number of days from 1 to 365" in said
    short = remy.post("request", reason="z~q", days="3")
    assert short.status_code == 422
    assert "Why you need remote access: must be 5 to 200 characters" in _text(short.text)
    assert "z~q" not in short.text  # "~" never appears in a form token, so no chance match
    missing = remy.post("request", days="3")
    assert missing.status_code == 422
    assert "Why you need remote access: must be filled in" in _text(missing.text)
    assert 'action="/staff/remote-access/request"' in missing.text
    no_reason = browsers["isla"].post("revoke", grant="not-a-grant")
    assert no_reason.status_code == 422
    said = _text(no_reason.text)
    assert "Why it is revoked: must be filled in" in said
    assert "The remote access to revoke: is not a reference this form gave" in said
    with platform.unit_of_work() as uow:
        assert not service_remote.grants_of(uow, team["remy"].id)
    assert not _events(platform, StaffAction.REMOTE_REQUEST)


@pytest.mark.policy("IS-RA-2FA", "IS-USE-LOCK")
def test_approving_asks_for_the_password_again_after_a_few_minutes(platform, team, browsers, clock):
    """Approval is administrative (as in the API): a sign-in older than the policy's
    re-authentication window is sent to re-enter the password, then comes back here."""
    _ask(browsers["remy"])
    mona = browsers["mona"]
    grant = _grant_on(mona.page())
    clock.advance(timedelta(minutes=platform.policy.sessions.reauth_for_sensitive_minutes + 1))
    stale = mona.post("approve", grant=grant)
    assert stale.status_code == 303
    assert stale.headers["location"] == f"/staff/reauth?next={PAGE}"
    assert _remys_grant(platform, team).manager_approved_by is None
    again = mona.client.post(
        "/staff/reauth",
        data={"csrf_token": mona.token, "password": team["mona"].password, "next": PAGE},
        headers=BROWSER,
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert again.headers["location"] == PAGE
    assert mona.post("approve", grant=grant).status_code == 303
    assert _remys_grant(platform, team).manager_approved_by == team["mona"].id


def test_every_signed_in_member_of_staff_has_the_page_in_the_navigation(platform, team, browsers):
    """Any role may ask for remote access: the link is in every console page's navigation."""
    page = browsers["finn"].client.get("/staff/", headers=BROWSER).text
    assert f'href="{PAGE}">Remote access</a>' in page


@pytest.mark.policy("IS-RA-2FA", "IS-USE-SCAN")
def test_the_api_records_a_refused_approval_as_the_page_does(platform, team, browsers):
    """``POST /api/auth/remote-grants/{id}/approve`` refused: the same authz.denied event."""
    _ask(browsers["remy"])
    grant = _grant_on(browsers["mona"].page())
    finn = browsers["finn"]
    refused = finn.client.post(
        f"/api/auth/remote-grants/{grant}/approve", headers={"X-CSRF-Token": finn.token}
    )
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/permission-denied")
    denied = _events(platform, AuditAction.PERMISSION_DENIED)[-1]
    assert (denied.actor_id, denied.resource) == (str(team["finn"].id), f"remote-grant:{grant}")
    assert json.loads(denied.details)["refused"] == "remote-access-approval"
