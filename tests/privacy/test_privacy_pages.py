"""Privacy-centre pages: work with cookies refused, refuse forged forms, record choices."""

from __future__ import annotations

import pytest
from privacy_support import TEST_ACTOR, csrf_of, make_customer, sign_in
from sqlalchemy import func, select

from klaremont.consent import notice_reading, notices
from klaremont.consent import service as consent
from klaremont.consent.models import CookieConsent
from klaremont.policy.purposes import MarketingChannel

PAGES = (
    "/privacy/",
    "/privacy/sign-in",
    "/privacy/notice",
    "/privacy/my-data",
    "/privacy/requests",
    "/privacy/marketing",
    "/privacy/cookies",
    "/privacy/verify",
)


def _refusing(client):
    """Requests from a browser that refuses every cookie."""

    def get(path, **kw):
        client.cookies.clear()
        response = client.get(path, **kw)
        client.cookies.clear()
        return response

    def post(path, **kw):
        client.cookies.clear()
        response = client.post(path, **kw)
        client.cookies.clear()
        return response

    return get, post


@pytest.mark.policy("PP-COOKIE")
@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_cookies_refused(client, path):
    """Each page renders (not personalised) for a browser that sends no cookies, and sets none."""
    get, _ = _refusing(client)
    response = get(path)
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "set-cookie" not in response.headers
    assert "Sign in" in response.text
    assert "<script" not in response.text
    assert "style=" not in response.text
    assert 'href="/static/privacy.css"' in response.text


@pytest.mark.policy("PP-COOKIE")
def test_stylesheet_is_served_and_csp_strict(client):
    """The pages' only stylesheet is served from /static under the strict CSP."""
    response = client.get("/privacy/")
    assert "style-src 'self'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    css = client.get("/static/privacy.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]


@pytest.mark.policy("PP-COOKIE")
def test_refusing_cookies_as_a_visitor_needs_no_cookie(platform, client):
    """A visitor who refuses optional cookies gets no cookie at all and nothing is stored."""
    get, post = _refusing(client)
    token = csrf_of(get("/privacy/cookies").text)
    response = post(
        "/privacy/cookies", data={"csrf_token": token, "action": "refuse"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "set-cookie" not in response.headers
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalar(select(func.count()).select_from(CookieConsent)) == 0


@pytest.mark.policy("PP-COOKIE", "IS-SENS-CONSENT")
def test_visitor_allowing_a_category_gets_only_a_random_key(platform, client):
    """Allowing analytics as a visitor sets one cookie: a random key the choice is kept by."""
    token = csrf_of(client.get("/privacy/cookies").text)
    response = client.post(
        "/privacy/cookies",
        data={"csrf_token": token, "analytics": "yes", "action": "save"},
        follow_redirects=False,
    )
    header = response.headers["set-cookie"]
    assert header.startswith("klaremont_cookie_choice=")
    key = header.split("=", 1)[1].split(";", 1)[0]
    assert len(key) == 43
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert consent.cookie_state(uow.session, browser_key=key)["analytics"]
    page = client.get("/privacy/cookies").text
    assert 'id="cookie-analytics" checked' in page
    token = csrf_of(page)
    refused = client.post(
        "/privacy/cookies", data={"csrf_token": token, "action": "refuse"}, follow_redirects=False
    )
    assert 'klaremont_cookie_choice=""' in refused.headers["set-cookie"]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert not consent.cookie_state(uow.session, browser_key=key)["analytics"]


@pytest.mark.policy("PP-OPTOUT", "IS-SENS-CONSENT")
def test_signed_in_marketing_choices_and_one_click_withdrawal(platform, client):
    """A signed-in customer switches channels on, then off with one click; history shows both."""
    person = make_customer(platform)
    token = sign_in(client, person)
    client.post("/privacy/marketing", data={"csrf_token": token, "email": "yes", "sms": "yes"})
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        state = consent.marketing_state(uow.session, person.subject_id)
    assert state[MarketingChannel.EMAIL]
    assert state[MarketingChannel.SMS]
    assert not state[MarketingChannel.POST]
    response = client.post("/privacy/marketing/withdraw", data={"csrf_token": token})
    assert response.status_code == 200
    assert "Your marketing choices are saved." in response.text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert not any(consent.marketing_state(uow.session, person.subject_id).values())
        history = consent.consent_history(uow.session, person.subject_id)
    assert [(h.item, h.granted, h.source) for h in history][:2] == [
        ("sms", False, "privacy_centre"),
        ("email", False, "privacy_centre"),
    ]


@pytest.mark.policy("PP-COOKIE")
def test_signed_in_cookie_refusal_is_recorded_against_the_person(platform, client):
    """A signed-in refusal is recorded against the person, and no choice cookie is set."""
    person = make_customer(platform)
    token = sign_in(client, person)
    client.post("/privacy/cookies", data={"csrf_token": token, "analytics": "yes"})
    response = client.post(
        "/privacy/cookies", data={"csrf_token": token, "action": "refuse"}, follow_redirects=False
    )
    assert "set-cookie" not in response.headers
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        entries = consent.consent_history(uow.session, person.subject_id)
    assert [(e.item, e.granted) for e in entries] == [("analytics", False), ("analytics", True)]


@pytest.mark.policy("PP-COOKIE")
@pytest.mark.parametrize(
    ("headers", "use_token"),
    [
        ({}, False),
        ({"origin": "https://evil.example"}, True),
        ({"sec-fetch-site": "cross-site"}, True),
    ],
)
def test_forged_forms_are_refused(platform, client, headers, use_token):
    """A post without the session's token, or from another site, is refused and changes nothing."""
    person = make_customer(platform)
    token = sign_in(client, person)
    data = {"email": "yes"}
    if use_token:
        data["csrf_token"] = token
    response = client.post("/privacy/marketing", data=data, headers=headers)
    assert response.status_code == 403
    assert "Form refused" in response.text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert not consent.marketing_state(uow.session, person.subject_id)[MarketingChannel.EMAIL]


@pytest.mark.policy("PP-COOKIE")
def test_visitor_tokens_are_refused_for_a_session_and_when_tampered(platform, client):
    """A visitor's token does not work for a signed-in post; a tampered one never works."""
    visitor_token = csrf_of(client.get("/privacy/cookies").text)
    tampered = visitor_token[:-2] + ("00" if not visitor_token.endswith("00") else "11")
    response = client.post("/privacy/cookies", data={"csrf_token": tampered, "analytics": "yes"})
    assert response.status_code == 403
    person = make_customer(platform)
    sign_in(client, person)
    response = client.post("/privacy/marketing", data={"csrf_token": visitor_token, "email": "yes"})
    assert response.status_code == 403


@pytest.mark.policy("DP-FAIR")
def test_the_notice_reads_as_headings_paragraphs_and_lists_and_its_text_is_kept(platform, client):
    """The published text is kept exactly (its fingerprint is the proof); the page reads it
    as a document: headings, paragraphs, lists; no copied navigation, no preformatted dump."""
    text = notices.shipped_privacy_notice()
    read = notice_reading.blocks(text)
    kinds = [block.kind for block in read]
    assert kinds[0] == "heading"
    assert "list" in kinds
    assert "paragraph" in kinds
    assert not any("Skip to main content" in (b.text or " ".join(b.items)) for b in read)
    assert ("heading", "Frequent Asked Questions (FAQ's)") in [(b.kind, b.text) for b in read]
    page = client.get("/privacy/notice").text
    assert "<pre" not in page
    assert "<li>The right to ask for a copy of personal data that we hold about you" in page
    assert "Skip to main content" not in page
    with platform.unit_of_work() as uow:
        assert notices.notice_in_force(uow).text == text  # the stored text is untouched
