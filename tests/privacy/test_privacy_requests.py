"""Rights through the privacy centre: requests with due dates, downloads, and nobody else's."""

from __future__ import annotations

import json
import re

import pytest
from privacy_support import TEST_ACTOR, make_customer, sign_in
from sqlalchemy import select

from klaremont.customers.models import Customer
from klaremont.db.subjects import Subject
from klaremont.display import uk_date
from klaremont.mail.models import OutboxMessage
from klaremont.privacy import centre
from klaremont.privacy.web import requests as requests_pages
from klaremont.rights import intake
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import IdentityMethod, RequestKind, RequestState

_REQUEST_LINK = re.compile(r'href="/privacy/requests/(DSR-[A-Z0-9]{8})"')


def _request(client, token, kind, **extra):
    return client.post(
        "/privacy/requests",
        data={"csrf_token": token, "kind": kind, **extra},
        follow_redirects=False,
    )


def _requests_of(platform, person):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return uow.session.scalars(
            select(RightsRequest)
            .where(RightsRequest.subject_id == person.subject_id)
            .order_by(RightsRequest.received_at)
        ).all()


@pytest.mark.policy("PP-R-ERASE", "PP-R-RESTRICT", "PP-R-OBJECT")
def test_signed_in_requests_are_listed_with_due_dates(platform, client):
    """Signed-in erasure, restriction and objection are verified at once, listed with due dates."""
    person = make_customer(platform)
    token = sign_in(client, person)
    for kind in ("erasure", "restriction", "objection-processing"):
        response = _request(client, token, kind, message="please")
        assert response.status_code == 303, response.text
    rows = _requests_of(platform, person)
    assert [(r.kind, r.state) for r in rows] == [
        (RequestKind.ERASURE, RequestState.VERIFIED),
        (RequestKind.RESTRICTION, RequestState.VERIFIED),
        (RequestKind.OBJECTION, RequestState.VERIFIED),
    ]
    page = client.get("/privacy/requests").text
    for row in rows:
        assert row.reference in page
        assert uk_date(row.due_on) in page
    assert "2 April 2026" in page  # received 2 March 2026: one calendar month
    again = _request(client, token, "erasure")
    assert again.status_code == 409
    assert rows[0].reference in again.text


@pytest.mark.policy("PP-R-RECTIFY")
def test_rectification_request_names_the_field_and_new_value(platform, client):
    """A correction request records which of the person's fields to change and the new value."""
    person = make_customer(platform)
    token = sign_in(client, person)
    page = client.get("/privacy/requests").text
    field = re.search(r'<option value="(customers:[0-9a-f-]{36}:name)"', page).group(1)
    response = _request(client, token, "rectification", field=field, value="Ada King")
    assert response.status_code == 303
    (row,) = _requests_of(platform, person)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        details = json.loads(uow.session.get(RightsRequest, row.id).details)
    assert details["corrections"][0]["field"] == "name"
    assert details["corrections"][0]["value"] == "Ada King"
    shown = client.get(response.headers["location"]).text
    assert "You asked us to correct" in shown
    assert "Name of the account " in shown
    assert "Ada King" in shown
    refused = _request(client, token, "rectification", message="my name changed")
    assert refused.status_code == 422
    assert '<option value="rectification" selected>' in refused.text  # what was typed stays
    assert ">my name changed</textarea>" in refused.text
    again = _request(client, token, "rectification", field=field, value="Ada Byron")
    assert again.status_code == 409
    assert f"You already have a request of this kind open ({row.reference})" in again.text
    assert "(verified)" not in again.text
    assert 'value="Ada Byron"' in again.text
    assert f'<option value="{field}" selected>' in again.text


@pytest.mark.policy("PP-R-OBJECT", "PP-OPTOUT")
def test_objection_to_marketing_takes_effect_at_once(platform, client):
    """A signed-in objection to marketing switches marketing off immediately."""
    person = make_customer(platform)
    token = sign_in(client, person)
    assert _request(client, token, "objection-marketing").status_code == 303
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Subject, person.subject_id).marketing_objection_at is not None
    page = client.get("/privacy/marketing").text
    assert "You have objected to marketing" in page


@pytest.mark.policy("PP-R-ACCESS")
def test_download_my_data_as_json_and_html(platform, client):
    """The signed-in person sees their data and downloads a complete copy as JSON and HTML."""
    person = make_customer(platform)
    token = sign_in(client, person)
    shown = client.get("/privacy/my-data").text
    assert person.name in shown
    assert person.street in shown
    response = client.post("/privacy/my-data/export", data={"csrf_token": token})
    assert response.status_code == 200
    reference = re.search(r"/privacy/requests/(DSR-[A-Z0-9]{8})/download", response.text).group(1)
    as_json = client.get(f"/privacy/requests/{reference}/download?fmt=json")
    assert as_json.status_code == 200
    assert "attachment" in as_json.headers["content-disposition"]
    document = json.loads(as_json.content)
    names = [row["name"] for row in document["data"]["customers"]["rows"]]
    assert names == [person.name]
    as_html = client.get(f"/privacy/requests/{reference}/download?fmt=html")
    assert as_html.status_code == 200
    assert person.street in as_html.text
    assert "default-src 'none'" in as_html.headers["content-security-policy"]


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _mailed(platform, person):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject_id == person.subject_id)
        ).all()
        return [row.body or "" for row in rows]


@pytest.mark.policy("PP-R-ACCESS", "DP-FAIR")
def test_the_addresses_a_person_reads_name_a_request_by_its_reference(platform, client):
    """The address bar, every link and every mailed link name a request as the person knows it.

    A link mailed before (by id) still opens the request for its owner.
    """
    person = make_customer(platform)
    token = sign_in(client, person)
    made = client.post(
        "/privacy/my-data/export", data={"csrf_token": token}, follow_redirects=False
    )
    (request,) = _requests_of(platform, person)
    assert made.headers["location"] == f"/privacy/requests/{request.reference}"
    shown = client.get(made.headers["location"])
    assert shown.status_code == 200
    assert f"/privacy/requests/{request.reference}/download?fmt=json" in shown.text
    listed = client.get("/privacy/requests").text
    assert _REQUEST_LINK.findall(listed) == [request.reference]
    for html in (shown.text, listed):
        addresses = re.findall(r'(?:href|action)="([^"]*)"', html)
        assert addresses
        assert not [a for a in addresses if _UUID.search(a)]
        assert not _UUID.search(re.sub(r"<[^>]+>", " ", html))  # nor in the words
    mails = _mailed(platform, person)
    assert any(f"/privacy/requests/{request.reference}/download?token=" in m for m in mails)
    for mail in mails:
        assert not _UUID.search(mail), _UUID.search(mail)
    assert client.get(f"/privacy/requests/{request.id}").status_code == 200
    lower = client.get(f"/privacy/requests/{request.reference.lower()}")
    assert lower.status_code == 200
    assert client.get(f"/privacy/requests/{'D' * 41}").status_code == 404


@pytest.mark.policy("PP-R-ACCESS", "PP-COOKIE")
def test_second_customer_cannot_reach_the_first_ones_request_or_copy(platform, client):
    """Changing the id in the address gets another person nothing but "not found"."""
    first = make_customer(platform)
    second = make_customer(platform, "grace.hopper@example.com", name="Grace Hopper")
    token = sign_in(client, first)
    client.post("/privacy/my-data/export", data={"csrf_token": token})
    _request(client, token, "erasure")
    made = _requests_of(platform, first)
    first_ids = [r.reference for r in made] + [str(r.id) for r in made]  # and old links' ids
    client.cookies.clear()
    sign_in(client, second)
    for request_id in first_ids:
        detail = client.get(f"/privacy/requests/{request_id}")
        assert detail.status_code == 404
        assert first.name not in detail.text
        for fmt in ("json", "html"):
            copy = client.get(f"/privacy/requests/{request_id}/download?fmt={fmt}")
            assert copy.status_code == 404
            assert first.name not in copy.text
    assert not _REQUEST_LINK.findall(client.get("/privacy/requests").text)
    client.cookies.clear()
    anonymous = client.get(
        f"/privacy/requests/{first_ids[0]}/download?fmt=json", follow_redirects=False
    )
    assert anonymous.status_code in {303, 307}
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalars(select(Customer)).all()


@pytest.mark.policy("PP-R-RECTIFY")
def test_a_correction_of_someone_elses_record_is_refused_when_asked(platform, client):
    """The form's field names a record; one not offered to this person (another person's
    account, a field not offered) is refused at once in plain words, nothing recorded; a
    date of birth that is no real day is refused naming the value."""
    ada = make_customer(platform)
    bob = make_customer(platform, "bob@example.com", name="Bob Smith")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        bobs = uow.session.scalar(select(Customer.id).where(Customer.subject_id == bob.subject_id))
    token = sign_in(client, ada)
    for field in (f"customers:{bobs}:name", f"customers:{bobs}:nameX", "customers:x:name"):
        refused = _request(client, token, "rectification", field=field, value="Hacked Name")
        assert refused.status_code == 422, field
        assert "choose one of your details to correct" in refused.text.lower()
        assert "one of name" not in refused.text  # no field names read to a customer
    page = client.get("/privacy/requests").text
    born = re.search(r'<option value="(customers:[0-9a-f-]{36}:date_of_birth)"', page).group(1)
    for value in ("2026-02-30", "0001-01-01"):
        refused = _request(client, token, "rectification", field=born, value=value)
        assert refused.status_code == 422, value
    assert _requests_of(platform, ada) == []
    assert _requests_of(platform, bob) == []


@pytest.mark.policy("PP-R-ACCESS")
def test_an_access_request_waiting_for_its_code_is_answered_when_the_person_signs_in(
    platform, client
):
    """Asked by e-mail and waiting for the code, the copy is ready once they sign in and ask.

    The same request is verified and answered (not a second one, nor a refusal that points
    at a request which cannot yet give them anything); other kinds stay one open at a time.
    """
    person = make_customer(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        centre.request_by_email(uow, person.email, "access")
    (waiting,) = _requests_of(platform, person)
    assert waiting.state is RequestState.IDENTITY_PENDING
    token = sign_in(client, person)
    made = client.post(
        "/privacy/my-data/export", data={"csrf_token": token}, follow_redirects=False
    )
    assert made.headers["location"] == f"/privacy/requests/{waiting.reference}"
    (answered,) = _requests_of(platform, person)
    assert answered.id == waiting.id
    assert answered.state is RequestState.FULFILLED
    assert answered.identity_method is IdentityMethod.SIGNED_IN
    shown = client.get(made.headers["location"]).text
    assert "We answered on" in shown
    assert "We answer by" not in shown
    assert "given " in client.get("/privacy/requests").text
    copy = client.get(f"/privacy/requests/{waiting.reference}/download?fmt=json")
    assert copy.status_code == 200
    assert person.email.encode() in copy.content
    assert _request(client, token, "restriction").status_code == 303
    again = _request(client, token, "restriction")
    assert again.status_code == 409
    assert "You already have a request of this kind open" in again.text


@pytest.mark.policy("PP-R-ERASE", "PP-R-RESTRICT")
def test_a_request_nobody_confirmed_does_not_block_the_person_signed_in(platform, client):
    """Anyone who knows an address can ask by e-mail; the code goes to the owner, who ignores
    it. That request must not stand in the owner's way: signed in, they ask the same and it
    is theirs (the unconfirmed one closed, its code dead, the owner told why). A confirmed
    request still does stand: one open at a time."""
    person = make_customer(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        waiting = centre.request_by_email(uow, person.email, "erasure", message="from a stranger")
    (stranger,) = _requests_of(platform, person)
    assert stranger.state is RequestState.IDENTITY_PENDING
    token = sign_in(client, person)
    made = _request(client, token, "erasure")
    assert made.status_code == 303, made.text
    closed, theirs = _requests_of(platform, person)
    assert closed.id == stranger.id
    assert closed.state is RequestState.REFUSED
    assert theirs.state is RequestState.VERIFIED
    assert theirs.identity_method is IdentityMethod.SIGNED_IN
    assert made.headers["location"].startswith(f"/privacy/requests/{theirs.reference}")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        told = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject_id == person.subject_id)
        ).all()
        assert centre.confirm_code(uow, waiting, "000000") is None
        assert uow.session.get(RightsRequest, closed.id).refusal_reason == intake.SUPERSEDED
    assert len(told) >= 3  # the stranger's code, the closing, the signed-in acknowledgement
    shown = client.get(f"/privacy/requests/{closed.reference}").text
    assert "closed: replaced by your own request" in shown
    assert "Why it was closed" in shown
    assert f'href="/privacy/requests/{theirs.reference}"' in shown
    assert "Why we refused" not in shown
    assert "We answered on" not in shown
    listed = client.get("/privacy/requests").text
    assert "closed: replaced by your own request" in listed
    again = _request(client, token, "erasure")
    assert again.status_code == 409
    assert len(_requests_of(platform, person)) == 2


@pytest.mark.policy("PP-R-ACCESS")
def test_an_address_naming_no_request_is_not_found_in_words(platform, client):
    """A NUL, a control character, another script or a long name in the address: 404, no error."""
    person = make_customer(platform)
    sign_in(client, person)
    for name in ("%00", "DSR-%00ABCDEFG", "%1B%5B2J", "%E2%80%8B", "D" * 41, "%F0%9F%98%80"):
        for path in (f"/privacy/requests/{name}", f"/privacy/requests/{name}/download"):
            response = client.get(path, headers={"Accept": "text/html"})
            if response.status_code == 422:  # refused at the door: a control character
                assert "must not contain control characters" in response.text
                continue
            assert response.status_code == 404, (path, response.status_code)
            assert "There is no such request" in response.text


@pytest.mark.policy("IS-SENS-MASK")
def test_a_form_filled_in_again_never_carries_card_data():
    """What was typed comes back after a refusal, except card numbers and security codes."""
    assert requests_pages._kept("my name changed") == "my name changed"
    assert requests_pages._kept("card 4111 1111 1111 1111") == ""
    assert requests_pages._kept("the cvv 123") == ""
