"""Requests without signing in or cookies: a code by e-mail; mail carries no personal data."""

from __future__ import annotations

import re

import pytest
from privacy_support import TEST_ACTOR, csrf_of, make_customer, sign_in
from sqlalchemy import select

from klaremont.consent.audience import marketing_audience
from klaremont.db.subjects import Subject
from klaremont.display import uk_date
from klaremont.policy.purposes import MarketingChannel
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import RequestState
from klaremont.testing.smtp import deliver_mail
from klaremont.testing.smtp import smtp_server as mail_server

_CODE = re.compile(r"^\s+(\d{6,10})\s*$", re.MULTILINE)
_HANDLE = re.compile(r'name="handle" value="([0-9a-f-]{36})"')
_LINK = re.compile(r"https?://\S+")


def _cookieless(client):
    def call(method, path, **kw):
        client.cookies.clear()
        response = client.request(method, path, **kw)
        assert "set-cookie" not in response.headers, f"{path} set a cookie"
        client.cookies.clear()
        return response

    return call


def _ask(call, email, kind):
    token = csrf_of(call("GET", f"/privacy/verify?kind={kind}").text)
    return call("POST", "/privacy/verify", data={"csrf_token": token, "email": email, "kind": kind})


def _assert_no_personal_data(body, person):
    for value in (person.email, person.name, person.street, person.phone, "Leeds", "LS1 4AP"):
        assert value.casefold() not in body.casefold(), "personal value in a mail body"
    assert "@" not in body
    for link in _LINK.findall(body):
        assert link.startswith("http://127.0.0.1:8000/privacy/")


@pytest.mark.policy("PP-R-ERASE", "PP-COOKIE", "IS-SENS-EMAIL")
def test_erasure_request_by_e_mail_code_with_cookies_refused(platform, client):
    """With cookies refused, a person asks for erasure, gets a code over SMTP and confirms it."""
    person = make_customer(platform)
    call = _cookieless(client)
    with mail_server() as (inbox, settings):
        asked = _ask(call, person.email, "erasure")
        assert asked.status_code == 200
        handle = _HANDLE.search(asked.text).group(1)
        deliver_mail(platform, settings)
        (body,) = inbox.bodies_to(person.email)
        _assert_no_personal_data(body, person)
        code = _CODE.search(body).group(1)
        token = csrf_of(call("GET", "/privacy/verify").text)
        wrong = call(
            "POST",
            "/privacy/verify/confirm",
            data={"csrf_token": token, "handle": handle, "code": "00000000"},
        )
        assert wrong.status_code == 422
        done = call(
            "POST",
            "/privacy/verify/confirm",
            data={"csrf_token": token, "handle": handle, "code": code},
        )
        assert done.status_code == 200
        deliver_mail(platform, settings)
        for later in inbox.bodies_to(person.email)[1:]:
            _assert_no_personal_data(later, person)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request = uow.session.scalars(select(RightsRequest)).one()
        assert request.state is RequestState.VERIFIED
        assert request.reference in done.text
        assert uk_date(request.due_on) in done.text


@pytest.mark.policy("PP-COOKIE", "IS-SENS-EMAIL")
def test_unknown_address_gets_the_same_answer_and_no_mail(platform, client):
    """An address that is not a customer's gets the same page, and nothing is mailed anywhere."""
    person = make_customer(platform)
    call = _cookieless(client)
    with mail_server() as (inbox, settings):
        known = _ask(call, person.email, "restriction")
        unknown = _ask(call, "stranger@example.com", "restriction")
        deliver_mail(platform, settings)
    strip = lambda r: _HANDLE.sub("", r.text.replace(csrf_of(r.text), ""))  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    assert len(inbox.received) == 1
    assert inbox.received[0]["To"] == person.email


@pytest.mark.policy("PP-R-OBJECT", "PP-OPTOUT")
def test_objection_by_e_mail_removes_the_person_from_marketing(platform, client):
    """An objection to marketing made without signing in takes the person out of every audience."""
    person = make_customer(platform)
    token = sign_in(client, person)
    client.post("/privacy/marketing", data={"csrf_token": token, "email": "yes"})
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert marketing_audience(uow.session, MarketingChannel.EMAIL) == [person.subject_id]
    call = _cookieless(client)
    with mail_server() as (inbox, settings):
        asked = _ask(call, person.email, "objection-marketing")
        handle = _HANDLE.search(asked.text).group(1)
        deliver_mail(platform, settings)
        code = _CODE.search(inbox.bodies_to(person.email)[0]).group(1)
        token = csrf_of(call("GET", "/privacy/verify").text)
        call(
            "POST",
            "/privacy/verify/confirm",
            data={"csrf_token": token, "handle": handle, "code": code},
        )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Subject, person.subject_id).marketing_objection_at is not None
        assert marketing_audience(uow.session, MarketingChannel.EMAIL) == []


@pytest.mark.policy("PP-R-ACCESS", "IS-SENS-EMAIL")
def test_mailed_download_link_needs_its_owner_signed_in(platform, client):
    """The download link mailed for an access request works only for its owner, signed in."""
    person = make_customer(platform)
    other = make_customer(platform, "grace.hopper@example.com", name="Grace Hopper")
    with mail_server() as (inbox, settings):
        token = sign_in(client, person)
        client.post("/privacy/my-data/export", data={"csrf_token": token})
        deliver_mail(platform, settings)
        bodies = inbox.bodies_to(person.email)
    for body in bodies:
        _assert_no_personal_data(body, person)
    link = next(m.group(0) for b in bodies for m in _LINK.finditer(b) if "token=" in m.group(0))
    path = link.removeprefix("http://127.0.0.1:8000")
    client.cookies.clear()
    anonymous = client.get(path, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/privacy/sign-in?next=")
    sign_in(client, other)
    assert client.get(path).status_code == 404
    client.cookies.clear()
    sign_in(client, person)
    owned = client.get(path)
    assert owned.status_code == 200
    assert person.name in owned.text
