"""The login page (captive portal) speaking coova-chilli's UAM protocol, with a test
controller playing coova-chilli; and a browser through the whole redirect."""

from __future__ import annotations

import hashlib
import html
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select
from wifi_support import FakeController, add_loopback_ap, issue, uk

from klaremont.testing import browser
from klaremont.testing.live import live_server
from klaremont.wifi.models import GuestDevice, PortalTicket, WifiLogin
from klaremont.wifi.service_portal import REFUSED_THROTTLED, chap_response

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
REFRESH = re.compile(r'http-equiv="refresh" content="0;url=([^"]+)"')


def form_of(page: str, ctl: FakeController, code: str, *, terms: str = "yes") -> dict:
    match = TOKEN.search(page)
    assert match, page
    return {
        "form_token": match.group(1),
        "uamip": "127.0.0.1",
        "uamport": str(ctl.port),
        "challenge": ctl.challenge,
        "mac": ctl.mac,
        "userurl": "http://example.org/",
        "code": code,
        "terms": terms,
    }


def logon_of(page: str) -> dict[str, str]:
    match = REFRESH.search(page)
    assert match, page
    url = urlparse(html.unescape(match.group(1)))
    assert url.path == "/logon"
    return {k: v[0] for k, v in parse_qs(url.query).items()}


@pytest.fixture
def ctl(radius):
    with FakeController("https://testserver", radius.auth_port) as controller:
        yield controller


def test_coova_chilli_chap_response_with_and_without_a_uam_secret():
    challenge = "00112233445566778899aabbccddeeff"
    plain = hashlib.md5(b"\x00" + b"pw" + bytes.fromhex(challenge)).hexdigest()  # noqa: S324 - CHAP is MD5
    assert chap_response(challenge, None, "pw") == plain
    hashed = hashlib.md5(bytes.fromhex(challenge) + b"uam").digest()  # noqa: S324 - CHAP is MD5
    assert chap_response(challenge, "uam", "pw") == hashlib.md5(b"\x00pw" + hashed).hexdigest()  # noqa: S324 - CHAP is MD5


@pytest.mark.policy("IS-WIFI-GUEST")
def test_the_login_page_checks_the_code_and_the_controller_logs_the_device_in(
    platform, clock, ctl, client
):
    clock.set(uk(2026, 3, 4, 17, 0))
    code = issue(platform)
    first = client.get(urlparse(ctl.first_url()).path + "?" + urlparse(ctl.first_url()).query)
    assert first.status_code == 200
    assert "Your code" in first.text
    assert "today it closes at 18:30" in first.text
    answer = client.post("/wifi/login", data=form_of(first.text, ctl, code.lower()))
    assert answer.status_code == 200, answer.text
    logon = logon_of(answer.text)
    assert logon["username"].startswith("T-")
    assert logon["userurl"] == "http://example.org/"
    assert code not in answer.text
    challenge = bytes.fromhex(ctl.challenge)
    assert ctl.ask(logon["username"], logon["response"], challenge) == "Access-Accept"
    assert ctl.ask(logon["username"], logon["response"], challenge) == "Access-Reject"  # once
    forged = ctl.ask(logon["username"], "00" * 16, challenge)
    assert forged == "Access-Reject"
    with platform.unit_of_work() as uow:
        ticket = uow.session.scalars(select(PortalTicket)).one()
        assert ticket.terms_accepted_at == uk(2026, 3, 4, 17, 0)
        assert ticket.terms_version
        device = uow.session.scalars(select(GuestDevice)).one()
        assert device.mac == "02:1a:2b:3c:4d:5e"
    done = client.get(
        f"/wifi/login?res=success&uamip=127.0.0.1&uamport={ctl.port}"
        f"&challenge={ctl.challenge}&mac={ctl.mac}&userurl=http://example.org/"
    )
    assert "You are online" in done.text
    assert '<dd id="time-left">1 h 30 min</dd>' in done.text
    assert '<dd id="closes-at">18:30</dd>' in done.text
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from klaremont.web.app import create_app  # noqa: PLC0415

    with TestClient(
        create_app(platform), base_url="https://testserver", client=("10.30.0.99", 5000)
    ) as other:
        elsewhere = other.get(
            f"/wifi/login?res=success&uamip=127.0.0.1&uamport={ctl.port}"
            f"&challenge={ctl.challenge}&mac={ctl.mac}&userurl=http://example.org/"
        )
    assert "You are online" in elsewhere.text
    assert "time-left" not in elsewhere.text  # another browser learns nothing of the code


@pytest.mark.policy("IS-WIFI-GUEST")
def test_refusals_never_say_whether_a_code_exists_and_repeated_failures_pause(
    platform, clock, ctl, client
):
    clock.set(uk(2026, 3, 4, 10, 0))
    revoked = issue(platform)
    from klaremont.wifi import service_guest  # noqa: PLC0415

    with platform.unit_of_work() as uow:
        service_guest.revoke(uow, by="test", code=revoked)
    page = client.get(urlparse(ctl.first_url()).path + "?" + urlparse(ctl.first_url()).query)
    unknown = client.post("/wifi/login", data=form_of(page.text, ctl, "ABCDE-FGHJK"))
    gone = client.post("/wifi/login", data=form_of(page.text, ctl, revoked))
    assert unknown.status_code == gone.status_code == 401
    said = [re.search(r'role="alert">([^<]+)<', r.text).group(1) for r in (unknown, gone)]
    assert said[0] == said[1]
    unticked = client.post("/wifi/login", data=form_of(page.text, ctl, revoked, terms=""))
    assert "accept the terms" in unticked.text
    for _ in range(3):
        client.post("/wifi/login", data=form_of(page.text, ctl, "ABCDE-FGHJK"))
    good = issue(platform)
    paused = client.post("/wifi/login", data=form_of(page.text, ctl, good))
    assert html.unescape(REFUSED_THROTTLED) in html.unescape(paused.text)
    with platform.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(WifiLogin)))
        assert all(r.client_ip for r in rows)


def test_the_page_refuses_what_no_controller_sent(platform, clock, client):
    add_loopback_ap(platform)
    clock.set(uk(2026, 3, 4, 10, 0))
    assert client.get("/wifi/login").status_code == 400
    public = client.get(
        "/wifi/login?res=notyet&uamip=8.8.8.8&uamport=3990&challenge="
        + "ab" * 16
        + "&mac=02-00-00-00-00-01"
    )
    assert public.status_code == 400
    forged = client.post(
        "/wifi/login",
        data={
            "form_token": "x",
            "uamip": "127.0.0.1",
            "uamport": "3990",
            "challenge": "ab" * 16,
            "mac": "02-00-00-00-00-01",
            "code": "ABCDE-FGHJK",
            "terms": "yes",
        },
    )
    assert forged.status_code == 400
    clock.set(uk(2026, 3, 7, 10, 0))
    closed = client.get(
        "/wifi/login?res=notyet&uamip=127.0.0.1&uamport=3990&challenge="
        + "ab" * 16
        + "&mac=02-00-00-00-00-01"
    )
    assert "The wireless network is closed" in closed.text


@pytest.mark.browser
@pytest.mark.policy("IS-WIFI-GUEST")
def test_a_guest_goes_online_through_the_controllers_redirect(platform, clock, radius):
    if not browser.available():
        pytest.skip(browser.MISSING_REASON)
    clock.set(uk(2026, 3, 4, 16, 0))
    code = issue(platform)
    shots = os.environ.get("KLAREMONT_SCREENSHOTS")
    with live_server(platform) as base, FakeController(base, radius.auth_port) as ctl:
        for width in (390, 1280):
            with browser.chromium_page(width=width, height=844) as page:
                page.goto(ctl.first_url())
                assert page.locator("label[for=code]").inner_text() == "Your code"
                if shots:
                    page.screenshot(
                        path=str(Path(shots) / f"wifi-login-{width}.png"), full_page=True
                    )
                page.fill("#code", code)
                page.check("#terms")
                page.click("button[type=submit]")
                page.wait_for_url(re.compile(r".*res=success.*"))
                assert page.locator("h1").inner_text() == "You are online"
                assert page.locator("#closes-at").inner_text() == "18:30"
                assert page.locator("#time-left").inner_text() == "2 h 30 min"
                if shots:
                    page.screenshot(
                        path=str(Path(shots) / f"wifi-online-{width}.png"), full_page=True
                    )
        assert ctl.answers == ["Access-Accept", "Access-Accept"]


@pytest.mark.policy("IS-WIFI-GUEST")
def test_with_a_uam_secret_the_controller_hashes_the_challenge_first(
    platform, clock, ctl, client, monkeypatch
):
    monkeypatch.setenv("KLAREMONT_WIFI_UAM_SECRET", "shared-with-the-controller")
    clock.set(uk(2026, 3, 4, 12, 0))
    code = issue(platform)
    first = client.get(urlparse(ctl.first_url()).path + "?" + urlparse(ctl.first_url()).query)
    logon = logon_of(client.post("/wifi/login", data=form_of(first.text, ctl, code)).text)
    raw = bytes.fromhex(ctl.challenge)
    assert ctl.ask(logon["username"], logon["response"], raw) == "Access-Reject"
    hashed = hashlib.md5(raw + b"shared-with-the-controller").digest()  # noqa: S324 - CHAP
    first = client.get(urlparse(ctl.first_url()).path + "?" + urlparse(ctl.first_url()).query)
    logon = logon_of(client.post("/wifi/login", data=form_of(first.text, ctl, code)).text)
    assert ctl.ask(logon["username"], logon["response"], hashed) == "Access-Accept"


@pytest.mark.policy("IS-WIFI-GUEST")
def test_a_ticket_goes_only_to_a_registered_controller(platform, clock, ctl, client):
    """A crafted link naming another private address as the controller gets no ticket:
    the code is never checked for it, and nothing is recorded as accepted."""
    clock.set(uk(2026, 3, 4, 10, 0))
    code = issue(platform)
    query = urlparse(ctl.first_url()).query
    crafted = client.get("/wifi/login?" + query.replace("uamip=127.0.0.1", "uamip=10.9.9.9"))
    assert crafted.status_code == 400  # said before the guest types a code
    assert "This page was not opened by the wireless network" in crafted.text
    assert 'name="code"' not in crafted.text
    first = client.get("/wifi/login?" + query)
    assert first.status_code == 200
    answer = client.post("/wifi/login", data=dict(form_of(first.text, ctl, code), uamip="10.9.9.9"))
    assert "This page was not opened by the wireless network" in answer.text
    assert REFRESH.search(answer.text) is None  # no logon address, no ticket
    with platform.unit_of_work() as uow:
        assert uow.session.scalars(select(PortalTicket)).first() is None


def test_a_guest_reads_bad_input_and_unknown_addresses_as_pages_not_json(platform, clock, client):
    """A browser on the portal gets the form again naming the field for input no person
    should type (a code too long, a NUL), and a page for an address that does not exist;
    scripts keep problem+json."""
    add_loopback_ap(platform)
    clock.set(uk(2026, 3, 4, 10, 0))
    query = "?res=notyet&uamip=127.0.0.1&uamport=3990&challenge=" + "ab" * 16
    page = client.get("/wifi/login" + query + "&mac=02-00-00-00-00-01")
    token = TOKEN.search(page.text)
    assert token, page.text
    form = {
        "form_token": token.group(1),
        "uamip": "127.0.0.1",
        "uamport": "3990",
        "challenge": "ab" * 16,
        "mac": "02-00-00-00-00-01",
        "terms": "yes",
    }
    browser_asks = {"Accept": "text/html"}
    for typed in ("A" * 100_000, "AB\x00C"):
        again = client.post("/wifi/login", data={**form, "code": typed}, headers=browser_asks)
        assert again.status_code == 422
        assert again.headers["content-type"].startswith("text/html")
        assert "Your code" in again.text
        assert 'name="code"' in again.text  # the form, to try again
        assert "String should" not in again.text
    script = client.post("/wifi/login", data={**form, "code": "A" * 100})
    assert script.headers["content-type"].startswith("application/problem+json")
    lost = client.get("/wifi/nowhere", headers=browser_asks)
    assert lost.status_code == 404
    assert lost.headers["content-type"].startswith("text/html")
    assert "guest network" in lost.text
    assert "There is nothing at this address" in lost.text  # not the title said twice
    assert "Not Found" not in lost.text
    card = client.get("/wifi/4111111111111111", headers=browser_asks)  # refused as card data
    assert card.status_code == 422
    assert card.headers["content-type"].startswith("text/html")
    assert "4111111111111111" not in card.text
