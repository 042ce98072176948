"""One person after another at the console in a real browser (headless Chromium).

Demo staff sign in as people do: username, password and the code their authenticator shows
now (computed from the published demo key at the platform's clock). Mail the shop sends
goes through the outbox to a real SMTP server, where a requester would read it. Set
``KLAREMONT_SCREENSHOTS`` to a folder to keep a full-page screenshot of every step, for a
person to look at.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from klaremont.mail.config import MailSettings
from klaremont.platform import Platform
from klaremont.staff.demo_data import DEMO_STAFF
from klaremont.staff.service_mfa import STEP_SECONDS, current_code
from klaremont.testing.smtp import Catcher, body_of, deliver_mail

_CODE = re.compile(r"\b(\d{8})\b")


@dataclass
class Day:
    """The shop's morning: the platform, its clock, the served app, one browser, the mail."""

    platform: Platform
    clock: Any
    base: str
    page: Any
    inbox: Catcher
    mail: MailSettings
    shots: list[str] = field(default_factory=list)

    def sign_in(self, username: str, *, expect_refusal: bool = False) -> None:
        """Sign ``username`` in at the console's door, as a new person at the desk."""
        person = next(s for s in DEMO_STAFF if s.username == username)
        self.page.context.clear_cookies()
        self.clock.advance(timedelta(seconds=STEP_SECONDS))  # a fresh authenticator code
        self.open("/staff/login")
        self.page.fill("#username", person.username)
        self.page.fill("#password", person.password)
        if person.totp_key:
            step = int(self.clock.now().timestamp()) // STEP_SECONDS
            self.page.fill("#code", current_code(person.totp_key, step))
        self.submit("form[action='/staff/login'] button[type=submit]")
        assert ("/staff/login" in self.page.url) is expect_refusal, self.text()

    def open(self, path: str) -> None:
        """Go to a console page."""
        self.page.goto(self.base + path)

    def submit(self, selector: str) -> None:
        """Press a form's button and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def press(self, label: str) -> None:
        """Press the button a person reads as ``label``."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=label).click()

    def go(self, link: str) -> None:
        """Follow the link a person reads as ``link``."""
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link, exact=True).first.click()

    def text(self) -> str:
        """What the page says (its visible text, spaces folded)."""
        return " ".join(str(self.page.inner_text("body")).split())

    def shot(self, name: str) -> None:
        """Keep a full-page screenshot of this step when a folder is given."""
        folder = os.environ.get("KLAREMONT_SCREENSHOTS")
        self.shots.append(name)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=f"{folder}/{len(self.shots):02d}-{name}.png", full_page=True)

    def deliver(self) -> None:
        """The worker's outbox run: queued mail goes to the SMTP server."""
        deliver_mail(self.platform, self.mail)

    def last_code_mailed(self) -> str:
        """The verification code in the newest mail that carries one (the requester reads it
        out on the phone)."""
        self.deliver()
        for message in reversed(self.inbox.received):
            found = _CODE.search(body_of(message))
            if found:
                return found.group(1)
        msg = "no verification code reached the mail server"
        raise AssertionError(msg)
