"""Customer sign-in: same answer for every failure, opaque session cookie, sign-out, timeouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from privacy_support import TEST_ACTOR, csrf_of, make_customer, sign_in
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.db.subjects import Subject
from klaremont.privacy.models import CustomerSession
from klaremont.privacy.signin import IDLE_TIMEOUT
from klaremont.staff.actions import StaffAction


def _attempt(client, email, password):
    token = csrf_of(client.get("/privacy/sign-in").text)
    return client.post(
        "/privacy/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


@pytest.mark.policy("PP-COOKIE")
def test_unknown_and_wrong_get_the_same_answer(platform, client):
    """An unknown address, a malformed one and a wrong password all get one identical page."""
    person = make_customer(platform)
    typed = [
        ("nobody@example.com", "whatever-password"),
        ("not-an-address", "whatever-password"),
        (person.email, "wrong-password-entirely"),
    ]
    answers = [_attempt(client, email, password) for email, password in typed]
    assert {r.status_code for r in answers} == {401}
    bodies = {  # the same page once the address each one typed (filled in again) is set aside
        r.text.replace(csrf_of(r.text), "").replace(f'value="{email}"', 'value=""')
        for r, (email, _password) in zip(answers, typed, strict=True)
    }
    assert len(bodies) == 1
    assert all("set-cookie" not in r.headers for r in answers)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == StaffAction.AUTH_LOGIN)
        ).all()
    assert [e.outcome for e in events] == ["failure"] * 3
    assert all(person.email not in str(e.details) for e in events)


@pytest.mark.policy("PP-COOKIE")
def test_session_cookie_is_an_opaque_key(platform, client):
    """The sign-in cookie is a random key: HttpOnly, Secure, SameSite=Lax; stored only as a hash."""
    person = make_customer(platform)
    token = csrf_of(client.get("/privacy/sign-in").text)
    response = client.post(
        "/privacy/sign-in",
        data={"email": person.email, "password": person.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    header = response.headers["set-cookie"]
    name, _, rest = header.partition("=")
    value = rest.split(";", 1)[0]
    assert name == "klaremont_customer"
    assert len(value) == 43
    flags = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/privacy"} <= flags
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        row = uow.session.scalars(select(CustomerSession)).one()
    assert value not in row.key_hash
    assert row.subject_id == person.subject_id


@pytest.mark.policy("PP-COOKIE")
def test_sign_out_and_idle_timeout_end_the_session(platform, client, clock):
    """Signing out ends the session server-side; so does half an hour without use."""
    person = make_customer(platform)
    token = sign_in(client, person)
    assert "Sign out" in client.get("/privacy/").text
    client.post("/privacy/sign-out", data={"csrf_token": token})
    assert "Sign out" not in client.get("/privacy/").text
    sign_in(client, person)
    clock.advance(IDLE_TIMEOUT + timedelta(seconds=1))
    assert "Sign out" not in client.get("/privacy/").text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        ends = sorted(r.end_reason for r in uow.session.scalars(select(CustomerSession)))
    assert ends == ["idle", "sign_out"]


@pytest.mark.policy("PP-R-ERASE")
def test_erased_person_cannot_sign_in(platform, client, clock):
    """After erasure the account no longer signs in and its open sessions end."""
    person = make_customer(platform)
    sign_in(client, person)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        subject = uow.session.get(Subject, person.subject_id)
        subject.erased_at = clock.now()
    assert "Sign out" not in client.get("/privacy/").text
    assert _attempt(client, person.email, person.password).status_code == 401


@pytest.mark.policy("PP-COOKIE")
def test_a_failed_sign_in_keeps_the_address_typed_but_never_the_password(platform, client):
    """The address comes back in its field (no need to type it again); the password does not,
    nor anything card-like typed into the address field."""
    make_customer(platform)
    token = csrf_of(client.get("/privacy/sign-in").text)
    typed = "someone.new+tag@example.co.uk"
    failed = client.post(
        "/privacy/sign-in",
        data={"csrf_token": token, "email": typed, "password": "not-the-password-9"},
    )
    assert failed.status_code == 401
    assert f'value="{typed}"' in failed.text
    assert "not-the-password-9" not in failed.text
