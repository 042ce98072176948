"""The policy pages: every member of staff reads the policies and acknowledges them; only
the DPO and the ISO see who is overdue and record reviews; refused input is shown on the
page naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from klaremont.policydocs import library, service
from klaremont.policydocs.models import PolicyAcknowledgement, PolicySection

BROWSER = {"Accept": "text/html"}
READERS = ("dina", "iris", "sal", "eve", "fred", "dora")


def _form(api, path: str, data: dict[str, str] | None = None):
    return api.post(
        path,
        data={**(data or {}), "csrf_token": api.headers["X-CSRF-Token"]},
        headers=BROWSER,
        follow_redirects=False,
    )


@pytest.mark.policy("DP-GUIDE")
@pytest.mark.parametrize("username", READERS)
def test_every_member_of_staff_reads_the_policies(client, published, username):
    del published
    api = client(username)
    listing = api.get("/staff/policies", headers=BROWSER)
    assert listing.status_code == 200
    assert 'href="/staff/policies"' in listing.text  # the navigation entry
    for key in library.DOCUMENT_KEYS:
        assert library.shipped(key).title in listing.text
    page = api.get("/staff/policies/is", headers=BROWSER)
    assert page.status_code == 200
    assert "IS.2 Password Policy" in page.text
    assert "Accounts will be locked after 3 login failures." in page.text
    assert 'id="acknowledge"' in page.text


@pytest.mark.policy("DP-GUIDE")
def test_a_document_not_yet_published_says_so(client, staff):
    del staff
    page = client("sal").get("/staff/policies/dp", headers=BROWSER)
    assert page.status_code == 200
    assert "No version of this policy has been published yet." in page.text
    assert client("sal").get("/staff/policies/zz", headers=BROWSER).status_code == 404


@pytest.mark.policy("DP-AWARE")
def test_the_button_records_the_acknowledgement(client, platform, published):
    del published
    sal = client("sal")
    done = _form(sal, "/staff/policies/dp/acknowledge", {"version": "2026.1"})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/staff/policies/dp?done=acknowledged"
    page = sal.get(done.headers["location"], headers=BROWSER).text
    assert "You acknowledged version 2026.1" in page
    assert 'id="acknowledge"' not in page
    listing = sal.get("/staff/policies", headers=BROWSER).text
    assert "Acknowledged" in listing
    with platform.unit_of_work() as uow:
        [row] = uow.session.scalars(select(PolicyAcknowledgement)).all()
        assert row.username == "sal"


@pytest.mark.policy("DP-AWARE")
def test_the_acknowledge_form_refuses_bad_input_by_field(client, published, platform, staff):
    del published
    sal = client("sal")
    missing = _form(sal, "/staff/policies/dp/acknowledge")
    assert missing.status_code == 422
    assert "Version you read: must be filled in" in missing.text
    assert "Data Protection Policy" in missing.text  # the page itself, drawn again
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        service.publish(uow, "DP", "2026.2", by="Dina")
    stale = _form(sal, "/staff/policies/dp/acknowledge", {"version": "2026.1"})
    assert stale.status_code == 422
    assert "Version you read: is no longer the current version" in stale.text
    unknown = _form(sal, "/staff/policies/zz/acknowledge", {"version": "1"})
    assert unknown.status_code == 404


@pytest.mark.policy("DP-AWARE", "DP-REVIEW")
@pytest.mark.parametrize("username", ["sal", "eve", "fred", "dora"])
def test_only_the_dpo_and_iso_see_the_overdue_lists(client, published, username):
    del published
    api = client(username)
    assert api.get("/staff/policies/overdue", headers=BROWSER).status_code == 403
    assert _form(api, "/staff/policies/reviews", {"section": "DP.1"}).status_code == 403
    listing = api.get("/staff/policies", headers=BROWSER).text
    assert "/staff/policies/overdue" not in listing
    page = api.get("/staff/policies/dp", headers=BROWSER).text
    assert "Next review" not in page


@pytest.mark.policy("DP-AWARE", "DP-REVIEW")
@pytest.mark.parametrize("username", ["dina", "iris"])
def test_the_dpo_and_iso_see_who_is_overdue(client, platform, staff, username):
    # published 40 days ago; IS.7 last reviewed 366 days ago (no clock jump: the
    # signed-in sessions and passwords stay valid)
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        today = uow.clock.now().date()
        for key in library.DOCUMENT_KEYS:
            service.publish(uow, key, "2026.1", by="dina", effective_on=today - timedelta(40))
        service.record_review(uow, "IS.7", by="iris", reviewed_on=today - timedelta(366))
    page = client(username).get("/staff/policies/overdue", headers=BROWSER)
    assert page.status_code == 200
    late = page.text.split('id="late-acknowledgements"')[1].split("</table>")[0]
    for name in READERS:
        assert f'<td data-label="Person">{name}</td>' in late
    reviews = page.text.split('id="late-reviews"')[1].split("</table>")[0]
    assert "IS.7 Access Control and Physical Security" in reviews
    assert "Information Security Officer" in reviews
    assert "IS.1 " not in reviews
    doc = client(username).get("/staff/policies/is", headers=BROWSER).text
    assert "(overdue)" in doc


@pytest.mark.policy("DP-REVIEW")
def test_a_review_recorded_on_the_page(client, platform, published):
    del published
    dina = client("dina")
    done = _form(
        dina, "/staff/policies/reviews", {"section": "DP.1", "reviewed_on": "", "note": "Fine"}
    )
    assert done.status_code == 303, done.text
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(select(PolicySection).where(PolicySection.number == "DP.1")).one()
        assert row.last_reviewed_by == "dina"


@pytest.mark.policy("DP-REVIEW")
def test_the_review_form_refuses_bad_input_by_field(client, published):
    del published
    dina = client("dina")
    cases = {
        "Section: must be filled in": {"section": ""},
        "Reviewed on: must be a date": {"section": "DP.1", "reviewed_on": "yesterday"},
        "Reviewed on: must not be in the future": {"section": "DP.1", "reviewed_on": "2099-01-01"},
        "Reviewed on: must be a date between 1900 and 2199": {
            "section": "DP.1",
            "reviewed_on": "0001-01-01",
        },
        "Section: is not a section": {"section": "DP.9"},
        "What the review found: must be at most 500": {"section": "DP.1", "note": "x" * 501},
    }
    for said, data in cases.items():
        refused = _form(dina, "/staff/policies/reviews", data)
        assert refused.status_code == 422, (said, refused.status_code)
        assert said in refused.text, said
        assert 'id="record-review"' in refused.text
