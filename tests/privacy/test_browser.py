"""The privacy centre in headless Chromium (Playwright) against the app served by uvicorn.

The app runs in a thread on 127.0.0.1 at a free port over plain HTTP. Chromium treats the
loopback address as a secure context, so the ``Secure`` session cookie is kept there just
as it is over HTTPS in production (the cookie flags do not change with the scheme).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from privacy_support import TEST_ACTOR, make_customer
from sqlalchemy import select

from klaremont.consent import service as consent
from klaremont.consent.models import ConsentMethod, ConsentSource
from klaremont.display import uk_date
from klaremont.platform import Platform
from klaremont.policy.purposes import MarketingChannel
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import RequestKind
from klaremont.testing import browser
from klaremont.testing.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def server(platform: Platform) -> Iterator[str]:
    """The app served by uvicorn in a thread; yields its base URL."""
    with live_server(platform) as base:
        yield base


@pytest.fixture
def browser_page():
    """A fresh headless Chromium page (skipped when Debian's chromium is not installed)."""
    if not browser.available():
        pytest.skip(browser.MISSING_REASON)
    with browser.chromium_page() as page:
        yield page


def _sign_in(page, server, person) -> None:
    page.goto(f"{server}/privacy/")
    page.click("#sign-in-link")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url("**/privacy/my-data")
    assert person.name in page.content()
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "klaremont_customer"
    assert cookie["httpOnly"]
    assert cookie["secure"]
    assert cookie["sameSite"] == "Lax"
    assert person.email not in cookie["value"]


def _download(page, person, tmp_path: Path) -> None:
    page.click("#prepare-download")
    page.wait_for_url("**/privacy/requests/*")
    with page.expect_download() as json_download:
        page.click("#download-json")
    saved = tmp_path / "my-data.json"
    json_download.value.save_as(saved)
    document = json.loads(saved.read_text())
    assert [r["name"] for r in document["data"]["customers"]["rows"]] == [person.name]
    with page.expect_download() as html_download:
        page.click("#download-html")
    html_copy = tmp_path / "my-data.html"
    html_download.value.save_as(html_copy)
    assert person.street in html_copy.read_text()


def _opt_out_and_refuse_cookies(page, server) -> None:
    page.goto(f"{server}/privacy/marketing")
    assert page.is_checked("#marketing-email")
    page.click("#marketing-withdraw")
    page.wait_for_url("**/privacy/marketing?saved=1")
    assert not page.is_checked("#marketing-email")
    assert not page.is_checked("#marketing-post")
    page.goto(f"{server}/privacy/cookies")
    page.click("#cookie-refuse")
    page.wait_for_url("**/privacy/cookies?saved=1")
    assert not page.is_checked("#cookie-analytics")
    assert [c["name"] for c in page.context.cookies()] == ["klaremont_customer"]


def _ask_for_erasure(page, server) -> str:
    page.goto(f"{server}/privacy/requests")
    page.select_option("#kind", "erasure")
    page.fill("#message", "Please erase my account.")
    page.click("#request-submit")
    page.wait_for_url("**/privacy/requests/*?new=1")
    assert "Erasure" in page.content()
    return page.inner_text("#request-due")


@pytest.mark.policy("PP-R-ACCESS", "PP-R-ERASE", "PP-OPTOUT", "PP-COOKIE")
def test_privacy_centre_walkthrough(platform, server, browser_page, tmp_path):
    """In Chromium: sign in, download my data, opt out, refuse analytics, ask for erasure."""
    page = browser_page
    person = make_customer(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.record_marketing(
            uow,
            person.subject_id,
            {MarketingChannel.EMAIL: True, MarketingChannel.POST: True},
            consent.Proof(ConsentMethod.WEB_FORM, ConsentSource.ACCOUNT_CREATION),
        )
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    _sign_in(page, server, person)
    _download(page, person, tmp_path)
    _opt_out_and_refuse_cookies(page, server)
    due = _ask_for_erasure(page, server)
    shot = tmp_path / "privacy-centre.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0

    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert not any(consent.marketing_state(uow.session, person.subject_id).values())
        assert not consent.cookie_state(uow.session, subject_id=person.subject_id)["analytics"]
        rows = uow.session.scalars(
            select(RightsRequest).where(RightsRequest.subject_id == person.subject_id)
        ).all()
    assert {r.kind for r in rows} == {RequestKind.ACCESS, RequestKind.ERASURE}
    erasure = next(r for r in rows if r.kind is RequestKind.ERASURE)
    assert uk_date(erasure.due_on) == due
    assert problems == []
