"""Data subject requests in the staff console: the queue, logging a request, the case page
and its actions, through the same services as the API (DP-DPO, DP-PROMPT, PP-R-ACCESS,
PP-R-ERASE)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from rights_support import TEST_ACTOR, latest_code, make_staff, seed_person, staff_client
from sqlalchemy import func, select, text

from klaremont.audit.models import AuditEvent
from klaremont.policy.live import REGISTRY, LiveStatus, load_all_checks
from klaremont.rights import intake
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import IntakeChannel, RequestKind
from klaremont.staff.permissions import Role

HTML = {"accept": "text/html"}
_TAG = re.compile(r"<[^>]+>")


def _said(page: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", page)).split())


@pytest.fixture
def dpo(platform):
    """A signed-in Data Protection Officer."""
    make_staff(platform, "dpo", Role.DPO)
    with staff_client(platform, "dpo") as client:
        client.headers.update(HTML)
        yield client


@pytest.fixture
def support(platform):
    """A signed-in support agent."""
    make_staff(platform, "sam", Role.SUPPORT_AGENT)
    with staff_client(platform, "sam") as client:
        client.headers.update(HTML)
        yield client


def _log(client, reference: str, kind: str, channel: str = "phone", **more: str) -> str:
    """Log a request through the page; returns its reference."""
    made = client.post(
        "/staff/requests/new",
        data={"customer_reference": reference, "kind": kind, "channel": channel, **more},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    found = re.search(r"/staff/requests/(DSR-[A-Z0-9]+)\?done=logged", made.headers["location"])
    assert found
    return found.group(1)


def _count(platform, action: str, resource: str | None = None) -> int:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        if resource is not None:
            query = query.where(AuditEvent.resource == resource)
        return int(uow.session.scalar(query) or 0)


def _resource(platform, reference: str) -> str:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        found = uow.session.scalars(
            select(RightsRequest).where(RightsRequest.reference == reference)
        ).one()
        return f"dsr:{found.id}"


@pytest.mark.policy("PP-R-ACCESS", "DP-DPO", "DP-PROMPT")
def test_the_dpo_handles_an_access_request_end_to_end(platform, alice, dpo):
    """Logged by phone (clock paused), a wrong code refused and kept on record, the right
    code verifies, fulfilling produces the copy, which downloads from the case page."""
    reference = _log(dpo, alice.reference, "access", note="wants everything held")
    page = dpo.get(f"/staff/requests/{reference}")
    assert page.status_code == 200
    said = _said(page.text)
    assert "Not verified" in said
    assert "Paused while identity is checked" in said
    assert "wants everything held" in said
    assert 'id="mails"' in page.text  # the code went to the requester
    assert "Waiting to be sent" in said
    assert "all to the e-mail address on their account" in said
    assert alice.email not in page.text
    resent = dpo.post(f"/staff/requests/{reference}/resend-code", follow_redirects=True)
    assert "A fresh code went to the address on the account." in _said(resent.text)
    wrong = dpo.post(f"/staff/requests/{reference}/verify", data={"code": "00000000"})
    assert wrong.status_code == 422
    assert "Request " + reference in _said(wrong.text)
    assert _count(platform, "dsr.verify", _resource(platform, reference)) >= 2
    right = dpo.post(
        f"/staff/requests/{reference}/verify",
        data={"code": latest_code(platform, alice.subject_id)},
        follow_redirects=False,
    )
    assert right.status_code == 303
    done = dpo.post(f"/staff/requests/{reference}/fulfil", data={}, follow_redirects=True)
    assert done.status_code == 200
    said = _said(done.text)
    assert "Fulfilled" in said
    assert "download JSON" in said
    copy = dpo.get(f"/staff/requests/{reference}/copy.json")
    assert copy.status_code == 200
    assert "attachment" in copy.headers["content-disposition"]


@pytest.mark.policy("PP-R-ERASE", "DP-DPO")
def test_the_dpo_handles_an_erasure_and_sees_what_is_kept(platform, alice, dpo):
    """Identity from documents, then the erasure: the page says what was deleted and kept."""
    reference = _log(dpo, alice.reference, "erasure", channel="letter")
    verified = dpo.post(
        f"/staff/requests/{reference}/verify-document",
        data={"reason": "passport seen by the DPO"},
        follow_redirects=True,
    )
    assert "Verified" in _said(verified.text)
    erased = dpo.post(f"/staff/requests/{reference}/erase")
    assert erased.status_code == 200, erased.text
    said = _said(erased.text)
    assert "Erasure carried out." in said
    assert "Deleted:" in said
    assert "Kept:" in said
    assert "because the law requires us to keep them" in said
    assert "Fulfilled" in said
    case = _said(dpo.get(f"/staff/requests/{reference}").text)
    # what was done, in words: what people call the records, UK dates, no stored names
    assert re.search(r"Kept until \d{2}/\d{2}/\d{4}", case)
    assert "identity codes (1)" in case
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", case)
    assert "dsr_" not in case
    assert "dsr challenges" not in case
    assert "Stopped: the request is closed" in case
    again = dpo.post(f"/staff/requests/{reference}/erase")
    assert again.status_code == 409  # closed: the service refuses, the page says why
    assert "already fulfilled" in _said(again.text)


@pytest.mark.policy("DP-DPO", "DP-PROMPT")
def test_support_logs_a_phone_request_and_the_dpo_decides(platform, alice, dpo, support):
    """Support may log a request taken by phone (dsr:log) and sees the confirmation on the
    case page (dsr:read); every decision needs dsr:manage, as in the API: refused with the
    HTML 403 page, and the refusal is audited. The DPO then verifies it."""
    queue = support.get("/staff/requests")
    assert 'href="/staff/requests/new"' in queue.text
    form = support.get("/staff/requests/new")
    assert form.status_code == 200
    assert "The Data Protection Officer then confirms who the requester is" in _said(form.text)
    reference = _log(support, alice.reference, "access", note="called about old orders")
    page = support.get(f"/staff/requests/{reference}?done=logged")
    assert page.status_code == 200
    said = _said(page.text)
    assert "Request logged and passed to the Data Protection Officer" in said
    assert "Paused while identity is checked" in said
    assert "What happens next" in said
    assert "Act on this request" not in said
    assert 'action="/staff/requests/' not in page.text  # no action form at all
    assert reference in support.get("/staff/requests").text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = uow.session.scalars(
            select(RightsRequest).where(RightsRequest.reference == reference)
        ).one()
        assert made.channel is IntakeChannel.PHONE
        assert made.created_by.startswith("staff:")  # logged by the support agent
    before = _count(platform, "authz.denied")
    code = latest_code(platform, alice.subject_id)
    for path, data in (
        (f"/staff/requests/{reference}/verify", {"code": code}),
        (f"/staff/requests/{reference}/verify-document", {"reason": "passport seen"}),
        (f"/staff/requests/{reference}/resend-code", {}),
        (f"/staff/requests/{reference}/extend", {"months": "1", "reason": "many at once"}),
        (f"/staff/requests/{reference}/refuse", {"reason": "not allowed to"}),
        (f"/staff/requests/{reference}/fulfil", {}),
        (f"/staff/requests/{reference}/erase", {}),
        (f"/staff/requests/{reference}/pause", {"reason": "clarification"}),
        (f"/staff/requests/{reference}/resume", {}),
    ):
        refused = support.post(path, data=data)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html")
    assert support.get(f"/staff/requests/{reference}/copy.json").status_code == 403
    assert _count(platform, "authz.denied") == before + 10
    verified = dpo.post(
        f"/staff/requests/{reference}/verify", data={"code": code}, follow_redirects=True
    )
    assert verified.status_code == 200
    assert "Identity verified: the clock runs again." in _said(verified.text)


def test_a_role_without_dsr_log_may_not_log(platform, alice):
    """Marketing staff hold no rights permission: the form and the post are refused."""
    make_staff(platform, "mia", Role.MARKETING)
    with staff_client(platform, "mia") as client:
        client.headers.update(HTML)
        assert client.get("/staff/requests/new").status_code == 403
        refused = client.post(
            "/staff/requests/new",
            data={"customer_reference": alice.reference, "kind": "access", "channel": "phone"},
        )
        assert refused.status_code == 403
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RightsRequest)) == 0


@pytest.mark.policy("DP-PROMPT")
def test_the_queue_filters_and_marks_overdue_requests(platform, clock, alice, dpo):
    """Soonest due first; after the deadline the row says "overdue" in words; filters work;
    a bad filter names the field."""
    bob = seed_person(platform, "bobby")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        late = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS).reference
    clock.advance(timedelta(days=10))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_for_customer(
            uow, bob.reference, RequestKind.ERASURE, IntakeChannel.LETTER
        )
        later = made.reference
    clock.advance(timedelta(days=25))
    with staff_client(platform, "dpo") as fresh:
        fresh.headers.update(HTML)
        queue = fresh.get("/staff/requests")
        assert queue.status_code == 200
        assert queue.text.index(late) < queue.text.index(later)
        overdue = fresh.get("/staff/requests", params={"due": "overdue"}).text
        assert late in overdue
        assert later not in overdue
        assert "overdue by" in _said(overdue)
        letters = fresh.get("/staff/requests", params={"channel": "letter"}).text
        assert later in letters
        assert late not in letters
        erasures = fresh.get("/staff/requests", params={"kind": "erasure"}).text
        assert later in erasures
        assert late not in erasures
        week = fresh.get("/staff/requests", params={"due": "week"}).text
        assert late not in week
        bad = fresh.get("/staff/requests", params={"status": "lost"})
        assert bad.status_code == 422
        assert "status: one of" in _said(bad.text)
        assert fresh.get("/staff/requests", params={"page": "0"}).status_code == 422


@pytest.mark.policy("DP-DPO")
def test_refusing_keeps_the_reason_sealed(platform, alice, dpo):
    """The reason shows on the case page, is not stored in clear and is not audited."""
    reference = _log(dpo, alice.reference, "access")
    refused = dpo.post(
        f"/staff/requests/{reference}/refuse",
        data={"reason": "manifestly unfounded: repeated weekly"},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    said = _said(refused.text)
    assert "Refused" in said
    assert "manifestly unfounded: repeated weekly" in said
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        stored = uow.session.execute(
            text("SELECT refusal_reason FROM dsr_requests WHERE reference = :r"),
            {"r": reference},
        ).scalar_one()
        details = " ".join(uow.session.scalars(select(AuditEvent.details)))
    assert "manifestly" not in str(stored)
    assert "manifestly" not in details


@pytest.mark.policy("DP-PROMPT")
def test_extending_tells_the_requester_and_bad_input_names_the_field(platform, alice, dpo):
    """An extension moves the deadline; a bad number of months or a missing reason comes back
    naming the field by its label; nothing is changed."""
    reference = _log(dpo, alice.reference, "portability")
    dpo.post(
        f"/staff/requests/{reference}/verify",
        data={"code": latest_code(platform, alice.subject_id)},
    )
    missing = dpo.post(f"/staff/requests/{reference}/extend", data={"months": "1"})
    assert missing.status_code == 422
    assert "Reason for the extension: must be filled in" in _said(missing.text)
    too_many = dpo.post(
        f"/staff/requests/{reference}/extend", data={"months": "9", "reason": "many at once"}
    )
    assert too_many.status_code == 422
    assert "Extend by (months): an extension is 1 to 2 months" in _said(too_many.text)
    assert "Extended" not in _said(too_many.text)
    extended = dpo.post(
        f"/staff/requests/{reference}/extend",
        data={"months": "2", "reason": "many requests at once"},
        follow_redirects=True,
    )
    said = _said(extended.text)
    assert "Deadline extended; the requester was told." in said
    assert "2 months: many requests at once" in said
    assert "first due" in said
    assert f'action="/staff/requests/{reference}/extend"' not in extended.text  # once only
    assert _count(platform, "dsr.extend") == 1


@pytest.mark.policy("DP-DPO")
def test_reading_the_requesters_words_is_audited_like_the_api(platform, alice, dpo):
    """Each view of a case with the requester's own details records a personal-data read."""
    reference = _log(dpo, alice.reference, "rectification", note="my surname is misspelt")
    resource = _resource(platform, reference)
    before = _count(platform, "personal.read", resource)
    dpo.get(f"/staff/requests/{reference}")
    dpo.get(f"/staff/requests/{reference}")
    assert _count(platform, "personal.read", resource) == before + 2
    assert dpo.get("/staff/requests/DSR-NOSUCH1").status_code == 404


def test_a_bad_new_request_names_the_field(platform, alice, dpo):
    """A wrong kind, an unknown customer or a duplicate: the form again, nothing logged."""
    page = dpo.get("/staff/requests/new")
    assert 'action="/staff/requests/new"' in page.text
    wrong = dpo.post(
        "/staff/requests/new",
        data={"customer_reference": alice.reference, "kind": "everything", "channel": "phone"},
    )
    assert wrong.status_code == 422
    assert "What they asked for: one of access" in _said(wrong.text)
    unknown = dpo.post(
        "/staff/requests/new",
        data={"customer_reference": "Z99999", "kind": "access", "channel": "phone"},
    )
    assert unknown.status_code == 404
    assert "no customer has that reference" in _said(unknown.text)
    _log(dpo, alice.reference, "access")
    duplicate = dpo.post(
        "/staff/requests/new",
        data={"customer_reference": alice.reference, "kind": "access", "channel": "letter"},
    )
    assert duplicate.status_code == 409
    assert "already open" in _said(duplicate.text) or "still open" in _said(duplicate.text)
    assert _count(platform, "dsr.refuse") == 1  # the duplicate, kept on record
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RightsRequest)) == 1


@pytest.mark.policy("PP-R-OBJECT", "DP-DPO")
def test_the_dpo_decides_an_objection_to_processing(platform, alice, dpo):
    """An objection to processing waits for the DPO's decision after fulfilling; deciding
    with a bad choice names the rule; upholding closes it. A closed case offers no action."""
    reference = _log(dpo, alice.reference, "objection", scope="processing")
    dpo.post(
        f"/staff/requests/{reference}/verify-document", data={"reason": "driving licence seen"}
    )
    waiting = dpo.post(f"/staff/requests/{reference}/fulfil", data={}, follow_redirects=True)
    assert 'action="/staff/requests/' + reference + '/decide"' in waiting.text
    wrong = dpo.post(
        f"/staff/requests/{reference}/decide", data={"decision": "maybe", "reason": "unsure"}
    )
    assert wrong.status_code == 409
    assert "choose to uphold or to reject" in _said(wrong.text)
    upheld = dpo.post(
        f"/staff/requests/{reference}/decide",
        data={"decision": "uphold", "reason": "no overriding grounds"},
        follow_redirects=True,
    )
    said = _said(upheld.text)
    assert "Decision recorded." in said
    assert "Act on this request" not in said


def test_a_form_for_an_unknown_request_comes_back_with_only_that_form(platform, dpo):
    """Bad input to a form of a request that does not exist: the form again, 422, naming
    the field; a valid post to it: not found, the form again."""
    missing = dpo.post("/staff/requests/DSR-NOSUCH1/refuse", data={"reason": ""})
    assert missing.status_code == 422
    assert 'action="/staff/requests/DSR-NOSUCH1/refuse"' in missing.text
    assert "Reason for refusing: must be filled in" in _said(missing.text)
    unknown = dpo.post("/staff/requests/DSR-NOSUCH1/refuse", data={"reason": "no such"})
    assert unknown.status_code == 404
    assert "no such request" in _said(unknown.text)
    erase = dpo.post("/staff/requests/DSR-NOSUCH1/erase")
    assert erase.status_code == 404


@pytest.mark.policy("DP-PROMPT")
def test_the_queue_pages_and_refuses_a_bad_deadline_filter(platform, alice, dpo, monkeypatch):
    """Two requests a page of one: next and previous links keep the filters."""
    from klaremont.rights.web import pages  # noqa: PLC0415 - the page size is shrunk here only

    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    first = _log(dpo, alice.reference, "access")
    second = _log(dpo, alice.reference, "restriction", channel="letter")
    one = dpo.get("/staff/requests", params={"status": "identity_pending"})
    assert first in one.text
    assert second not in one.text
    assert "/staff/requests?status=identity_pending&amp;page=2" in one.text
    two = dpo.get("/staff/requests", params={"status": "identity_pending", "page": "2"})
    assert second in two.text
    assert "Previous page" in two.text
    bad = dpo.get("/staff/requests", params={"due": "someday"})
    assert bad.status_code == 422
    assert "due: overdue or week" in _said(bad.text)


@pytest.mark.policy("PP-R-ACCESS", "PP-R-ERASE")
def test_the_services_refusals_come_back_on_the_case_page(platform, alice, dpo):
    """Fulfilling before identity is confirmed, resending a code once verified, verifying a
    closed request, erasing while an access request is open: the case page with the reason,
    nothing changed; the blocked erasure is kept on record."""
    access = _log(dpo, alice.reference, "access")
    early = dpo.post(f"/staff/requests/{access}/fulfil", data={})
    assert early.status_code == 409
    assert "before the identity is confirmed" in _said(early.text)
    dpo.post(f"/staff/requests/{access}/verify-document", data={"reason": "passport seen"})
    resend = dpo.post(f"/staff/requests/{access}/resend-code")
    assert resend.status_code == 409
    assert "only sent while the identity check is pending" in _said(resend.text)
    erasure = _log(dpo, alice.reference, "erasure", channel="letter")
    dpo.post(f"/staff/requests/{erasure}/verify-document", data={"reason": "passport seen"})
    blocked = dpo.post(f"/staff/requests/{erasure}/erase")
    assert blocked.status_code == 409
    assert _count(platform, "dsr.refuse", _resource(platform, erasure)) == 1
    dpo.post(f"/staff/requests/{access}/fulfil", data={})
    html_copy = dpo.get(f"/staff/requests/{access}/copy.html")
    assert html_copy.status_code == 200
    assert "content-security-policy" in html_copy.headers
    dpo.post(f"/staff/requests/{erasure}/refuse", data={"reason": "withdrawn by letter"})
    closed = dpo.post(f"/staff/requests/{erasure}/verify-document", data={"reason": "late"})
    assert closed.status_code == 409
    assert "Refused" in _said(closed.text)


@pytest.mark.policy("DP-PURPOSE")
def test_support_follows_a_case_without_reading_the_requesters_words(platform, alice, dpo, support):
    """The requester's words are read for a legal obligation: the DPO reads them (recorded);
    support, whose roles do not hold that purpose, sees the case without them, no read is
    recorded in its name, and purpose limitation holds (a support click made it fail)."""
    reference = _log(support, alice.reference, "rectification", note="my surname is misspelt")
    resource = _resource(platform, reference)
    before = _count(platform, "personal.read", resource)
    followed = support.get(f"/staff/requests/{reference}")
    assert followed.status_code == 200
    assert "my surname is misspelt" not in followed.text
    assert 'id="details-withheld"' in followed.text
    assert _count(platform, "personal.read", resource) == before
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request_id = uow.session.scalars(
            select(RightsRequest.id).where(RightsRequest.reference == reference)
        ).one()
    by_api = support.get(
        f"/api/rights/requests/{request_id}", headers={"Accept": "application/json"}
    )
    assert by_api.status_code == 200
    assert by_api.json()["details"] in (None, {})
    assert _count(platform, "personal.read", resource) == before
    read = dpo.get(f"/staff/requests/{reference}")
    assert "my surname is misspelt" in read.text
    assert _count(platform, "personal.read", resource) == before + 1
    load_all_checks()
    held = REGISTRY.run("DP-PURPOSE", platform)
    assert held.status is LiveStatus.HOLDS, held.detail
