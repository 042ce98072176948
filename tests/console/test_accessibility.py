"""Every page of the console, the privacy centre and the wireless portal, checked in a real
browser: the accessibility engine (axe-core, WCAG 2.0/2.1 A and AA) finds no serious or
critical violation, a phone screen (375x667) never scrolls sideways, every interactive
element is reached by Tab and shows where the focus is, and the console's pages share one
navigation. Then a few representative journeys by keyboard alone.

The pages come from the app's routes; path parameters are filled from links the demo data's
pages show (an incident, a request, a clause, a scan, ...). A page that cannot be reached
fails the test; pages that are file downloads are listed, with the reason, in
:data:`a11y_support.NOT_COVERED`.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import pytest
from a11y_support import (
    AXE,
    AXE_MISSING,
    NOT_COVERED,
    STAFF_ORDER,
    Findings,
    PageRoute,
    check_page,
    pages,
)

from klaremont.customers.demo_data import DEMO_CUSTOMER_PASSWORD, LOGINS
from klaremont.retention import engine
from klaremont.sanitize import record as sanitize_record
from klaremont.sanitize import service as sanitize
from klaremont.staff.demo_data import DEMO_STAFF
from klaremont.staff.service_mfa import STEP_SECONDS, current_code
from klaremont.web.app import create_app

if TYPE_CHECKING:
    from pathlib import Path

    from console_support import Day

    from klaremont.platform import Platform

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("KLAREMONT_TEST_DATABASE", "sqlite") == "postgresql",
        reason="the pages' markup does not depend on the database: walked once, on SQLite",
    ),
]

CUSTOMER = LOGINS[0].username
#: The wireless portal as a guest's phone meets it: sent by the controller (a form), after
#: a wrong code, and without the controller's details (the "lost" page, a 400).
WIFI_CONTROLLER = {
    "uamip": "127.0.0.1",
    "uamport": "3990",
    "challenge": "00112233445566778899aabbccddeeff",
    "mac": "02-1A-2B-3C-4D-5E",
    "userurl": "http://example.org/",
}
WIFI_VISITS = (
    ("/wifi/login?" + urlencode(WIFI_CONTROLLER), 200),
    ("/wifi/login?" + urlencode({**WIFI_CONTROLLER, "res": "failed"}), 200),
    ("/wifi/login", 400),
)
#: Pages no demo page links to as they are (a look-up form leads there): filled here.
FILLED = {
    "/staff/consent/person": "/staff/consent/person?reference=C0000003&purpose=legal_obligation",
    "/staff/customers/{reference}": "/staff/customers/C0000003?purpose=legal_obligation",
}
#: Every console page of the wave sits in the one navigation.
WAVE = (
    "/staff/compliance",
    "/staff/policies",
    "/staff/sanitize",
    "/staff/scans",
    "/staff/retention",
    "/staff/media",
    "/staff/processors",
    "/staff/disclosures",
    "/staff/incidents",
    "/staff/wifi",
)


def _sign_in_staff(day: Day, username: str) -> None:
    day.sign_in(username)


def _sign_in_customer(day: Day) -> None:
    day.page.context.clear_cookies()
    day.open("/privacy/sign-in")
    day.page.fill("#email", CUSTOMER)
    day.page.fill("#password", DEMO_CUSTOMER_PASSWORD)
    with day.page.expect_navigation():
        day.page.click("#sign-in-form button[type=submit]")
    assert urlsplit(day.page.url).path == "/privacy/my-data", day.text()


def _become(day: Day, who: str) -> None:
    if who in {"nobody", "guest"}:
        day.page.context.clear_cookies()
    elif who == "customer":
        _sign_in_customer(day)
        with day.page.expect_navigation():  # a request of their own: a copy of their data
            day.page.click("#prepare-download")
    else:
        _sign_in_staff(day, who)


def _links(page: Any) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    return [urlsplit(h).path for h in hrefs if h.startswith("http://127.0.0.1")]


def _nav(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all("header.bar nav a", "els => els.map(e => e.getAttribute('href'))")
    )


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _not_covered(link: str) -> bool:
    return any(PageRoute(path, "nobody").pattern().match(link) for path in NOT_COVERED)


class Tour:
    """One browser going round every page once per person, noting what it finds."""

    def __init__(self, day: Day, routes: list[PageRoute]) -> None:
        self.day = day
        self.fixed = {r.path for r in routes if not r.params}  # never a parameter's value
        self.findings = Findings()
        self.seen_links: list[str] = []
        self.navs: dict[str, list[str]] = {}

    def url_for(self, route: PageRoute) -> str | None:
        if route.path in FILLED:
            return FILLED[route.path]
        if not route.params:
            return route.path
        pattern = route.pattern()
        return next(
            (
                link
                for link in self.seen_links
                if pattern.match(link) and link not in self.fixed and not _not_covered(link)
            ),
            None,
        )

    def visit(self, url: str, who: str, *, status: int = 200) -> None:
        page = self.day.page
        response = page.goto(self.day.base + url)
        landed = urlsplit(page.url).path
        if response is None or response.status != status or landed != urlsplit(url).path:
            code = response.status if response else "no response"
            self.findings.add(url, f"not reached as {who}: {code}, landed on {landed}")
            return
        self.seen_links.extend(_links(page))
        tab_from = "body"
        if url.startswith("/staff/") and who in STAFF_ORDER:
            nav = _nav(page)
            if who in self.navs:  # tabbed through on this person's first page: the same here
                tab_from = "main"
            first = self.navs.setdefault(who, nav)
            if nav != first:
                self.findings.add(url, f"the navigation differs from the first page's: {nav}")
            if not page.query_selector("link[href='/static/staff.css']"):
                self.findings.add(url, "the console's stylesheet is missing")
        check_page(page, url, self.findings, tab_from=tab_from)
        words = page.inner_text("body")
        shown_id = _UUID.search(words)
        if shown_id:  # people read references and names; an id says nothing to them
            near = words[max(0, shown_id.start() - 80) : shown_id.end()]
            self.findings.add(url, f"an id in the words of the page: {near!r}")

    def round(self, who: str, routes: list[PageRoute]) -> list[PageRoute]:
        """Visit ``routes`` as ``who``; returns those whose parameters no link filled yet."""
        _become(self.day, who)
        self.seen_links.append(urlsplit(self.day.page.url).path)
        later = []
        for route in routes:
            url = self.url_for(route)
            if url is None:
                later.append(route)
            elif route.path.startswith("/wifi"):
                for wifi_url, status in WIFI_VISITS:
                    self.visit(wifi_url, who, status=status)
            else:
                self.visit(url, who)
        return later


def _runs_to_look_at(platform: Platform, folder: Path) -> None:
    """A retention run and a sanitised development copy (the demo data has neither)."""
    engine.run(platform)
    outcome = sanitize.sanitise(
        platform.settings,
        source_url=None,
        target_url=f"sqlite:///{folder / 'dev.db'}",
        key=b"accessibility-check-key-0123456789",
    )
    sanitize_record.save(platform, outcome.report, passed=outcome.passed, started_by="test")


def test_every_page_passes_the_accessibility_engine_fits_a_phone_and_tabs(
    day: Day, tmp_path: Path
) -> None:
    if not AXE.exists():
        pytest.fail(AXE_MISSING)
    _runs_to_look_at(day.platform, tmp_path)
    routes = pages(create_app(day.platform))
    assert len(routes) > 50  # the enumeration found the console, not an empty app
    tour = Tour(day, routes)
    people = ["nobody", *STAFF_ORDER, "customer", "guest"]
    assert {r.who for r in routes} <= set(people)
    left = {who: tour.round(who, [r for r in routes if r.who == who]) for who in people}
    for who, routes_left in left.items():  # parameters filled from another person's pages
        for route in tour.round(who, routes_left) if routes_left else []:
            tour.findings.add(route.path, "no page of the demo data links to one")
    for who in ("derek", "ivan"):  # between them, every page of the wave
        assert who in tour.navs
    shown = set(tour.navs["derek"]) | set(tour.navs["ivan"]) | set(tour.navs["sam"])
    assert set(WAVE) <= shown, set(WAVE) - shown
    assert not tour.findings.problems, tour.findings.report()
    assert len(tour.findings.checked) >= len(routes) + len(WIFI_VISITS) - 1
    assert all(not path.startswith("/api") for path in NOT_COVERED)


def _tab_to(page: Any, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element ``selector`` names has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} is never reached by Tab on {page.url}")


def test_the_console_privacy_centre_and_portal_work_by_keyboard_alone(day: Day) -> None:
    page = day.page
    dana = next(s for s in DEMO_STAFF if s.username == "dana")
    day.clock.advance(timedelta(seconds=STEP_SECONDS))
    day.open("/staff/login")
    _tab_to(page, "#username")
    page.keyboard.type(dana.username)
    _tab_to(page, "#password")
    page.keyboard.type(dana.password)
    _tab_to(page, "#code")
    step = int(day.clock.now().timestamp()) // STEP_SECONDS
    page.keyboard.type(current_code(dana.totp_key, step))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/staff/", day.text()
    # the navigation, by keyboard: to the incidents register, then the report form
    _tab_to(page, "header.bar nav a[href='/staff/incidents']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/staff/incidents"
    day.open("/staff/incidents/report")
    _tab_to(page, "#kind")
    page.keyboard.press("ArrowDown")
    _tab_to(page, "#what_happened")
    page.keyboard.type("A laptop left on the train this morning, found again by noon.")
    _tab_to(page, "#personal_data")
    page.keyboard.press("ArrowDown")
    _tab_to(page, "#card_data")
    page.keyboard.press("ArrowDown")
    _tab_to(page, "form[action='/staff/incidents/report'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path.startswith("/staff/incidents/INC-"), day.text()
    # the privacy centre: a customer signs in by keyboard
    page.context.clear_cookies()
    day.open("/privacy/sign-in")
    _tab_to(page, "#email")
    page.keyboard.type(CUSTOMER)
    _tab_to(page, "#password")
    page.keyboard.type(DEMO_CUSTOMER_PASSWORD)
    _tab_to(page, "#sign-in-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/privacy/my-data", day.text()
    # the wireless portal: the code, the terms and the button, by keyboard
    day.open("/wifi/login?" + urlencode(WIFI_CONTROLLER))
    _tab_to(page, "#code")
    page.keyboard.type("ABCD-EFGH")
    _tab_to(page, "#terms")
    page.keyboard.press("Space")
    assert page.is_checked("#terms")
    _tab_to(page, "form button[type=submit]")
