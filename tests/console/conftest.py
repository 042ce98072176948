"""The console's working day: demo data, the production second factor, a real SMTP server,
the app under uvicorn and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_support import Day

from klaremont.demo.service import DemoSize, seed
from klaremont.platform import Platform
from klaremont.policy.model import SecondFactorPolicy
from klaremont.testing import browser
from klaremont.testing.live import live_server
from klaremont.testing.smtp import smtp_server

DEMO_CUSTOMERS = 12


@pytest.fixture
def day(platform: Platform, clock) -> Iterator[Day]:
    """A morning at the shop: demo staff and customers, everyone's authenticator required."""
    if not browser.available():
        pytest.skip(browser.MISSING_REASON)
    platform.policy = platform.policy.model_copy(
        update={"second_factor": SecondFactorPolicy(required_for_privileged=True)}
    )
    seed(platform, DemoSize(customers=DEMO_CUSTOMERS))
    with (
        smtp_server() as (inbox, mail),
        live_server(platform) as base,
        browser.chromium_page() as page,
    ):
        yield Day(platform=platform, clock=clock, base=base, page=page, inbox=inbox, mail=mail)
