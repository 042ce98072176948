"""A director's walk through the compliance view in headless Chromium: the overview with a
failing clause, the filter, a clause's evidence and the evidence pack's download.

Set ``KLAREMONT_SCREENSHOTS`` to a folder to keep the full-page screenshots for a person to
compare; otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from compliance_support import PEOPLE, a_customer, overdue_request

from klaremont.compliance import evidence, history
from klaremont.platform import Platform
from klaremont.testing import browser
from klaremont.testing.live import live_server
from klaremont.testing.staff import STAFF_PASSWORD, make_staff

pytestmark = pytest.mark.browser


@pytest.fixture
def page(platform: Platform) -> Iterator[tuple[str, object]]:
    """The app under uvicorn and a fresh Chromium page (skipped without Chromium)."""
    if not browser.available():
        pytest.skip(browser.MISSING_REASON)
    with live_server(platform) as base, browser.chromium_page() as opened:
        yield base, opened


def _shots(tmp_path: Path) -> Path:
    chosen = os.environ.get("KLAREMONT_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_director_walks_through_the_compliance_view(platform, page, tmp_path):
    base, tab = page
    reference = overdue_request(platform, a_customer(platform))
    history.check_all(platform)
    make_staff(platform, "dave", PEOPLE["dave"])
    shots = _shots(tmp_path)

    tab.goto(f"{base}/staff/login")
    tab.fill("#username", "dave")
    tab.fill("#password", STAFF_PASSWORD)
    tab.click("form[action='/staff/login'] button[type=submit]")
    tab.wait_for_url(f"{base}/staff/**")
    tab.click("nav >> text=Compliance")
    tab.wait_for_url(f"{base}/staff/compliance")
    assert "Fails" in tab.inner_text("#counts")
    tab.screenshot(path=str(shots / "compliance-overview.png"), full_page=True)

    tab.select_option("#status", "fails")
    tab.click("#filter button[type=submit]")
    tab.wait_for_url("**/staff/compliance?*status=fails*")
    rows = tab.inner_text("#clauses")
    assert "DP-PROMPT" in rows
    assert reference in rows
    assert "Holds since" not in rows
    tab.screenshot(path=str(shots / "compliance-failing.png"), full_page=True)

    tab.click("#clauses >> text=DP-PROMPT")
    tab.wait_for_url(f"{base}/staff/compliance/DP-PROMPT")
    assert reference in tab.inner_text("#verdict")
    assert "no_request_overdue" in tab.inner_text("#checks")
    assert "Fails" in tab.inner_text("#history")
    tab.screenshot(path=str(shots / "compliance-clause.png"), full_page=True)
    tab.emulate_media(media="print")
    tab.screenshot(path=str(shots / "compliance-clause-print.png"), full_page=True)
    tab.emulate_media(media="screen")

    tab.goto(f"{base}/staff/compliance")
    with tab.expect_download() as waiting:
        tab.click("#evidence")
    saved = Path(waiting.value.path())
    content = saved.read_bytes()
    assert evidence.verify_pack(content, platform.audit.trusted_keys) == []
    assert "data-subject-requests.csv" in zipfile.ZipFile(io.BytesIO(content)).namelist()
