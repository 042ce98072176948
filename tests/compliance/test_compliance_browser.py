"""A director's walk through the compliance view in headless Chromium: the overview with a
failing clause, the filter, a clause's evidence (what its check reads, the overdue request
behind it, linked), the PDFs and the evidence pack's download, verified by
``klaremont compliance verify``; then a support agent, refused every one of them.

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
from pdf_text import pdf_text
from typer.testing import CliRunner

from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.compliance import history
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


def _sign_in(tab, base: str, username: str) -> None:
    tab.goto(f"{base}/staff/login")
    tab.fill("#username", username)
    tab.fill("#password", STAFF_PASSWORD)
    tab.click("form[action='/staff/login'] button[type=submit]")
    tab.wait_for_url(f"{base}/staff/**")


def _pack_verifies(platform, tab, base: str, tmp_path: Path) -> None:
    """Download the evidence pack from the overview; ``klaremont compliance verify`` passes."""
    tab.goto(f"{base}/staff/compliance")
    with tab.expect_download() as waiting:
        tab.click("#evidence")
    saved = tmp_path / "pack.zip"
    waiting.value.save_as(saved)
    content = saved.read_bytes()
    assert "trace.pdf" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    use_platform(platform)
    try:
        checked = CliRunner().invoke(main.app, ["compliance", "verify", str(saved)])
    finally:
        use_platform(None)
    assert checked.exit_code == 0, checked.output
    assert "verify" in checked.output


def test_a_director_walks_through_the_compliance_view(platform, page, tmp_path):
    base, tab = page
    reference = overdue_request(platform, a_customer(platform))
    history.check_all(platform)
    make_staff(platform, "dave", PEOPLE["dave"])
    shots = _shots(tmp_path)

    _sign_in(tab, base, "dave")
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

    failing = pdf_text(_pdf_behind_link(tab, base))
    assert "DP-PROMPT" in failing
    assert "Showing: Every policy; live status fails" in failing

    tab.click("#clauses >> text=DP-PROMPT")
    tab.wait_for_url(f"{base}/staff/compliance/DP-PROMPT")
    assert reference in tab.inner_text("#verdict")
    checks = tab.inner_text("#checks")
    assert "no_request_overdue" in checks
    assert "The query behind it" in checks
    assert "Fails" in tab.inner_text("#history")
    tab.screenshot(path=str(shots / "compliance-clause.png"), full_page=True)
    tab.emulate_media(media="print")
    tab.screenshot(path=str(shots / "compliance-clause-print.png"), full_page=True)
    tab.emulate_media(media="screen")
    assert reference in pdf_text(_pdf_behind_link(tab, base))
    # the overdue request behind the answer, named but not linked: a director may not read
    # requests (the DPO's link is tested in test_compliance_pdf)
    record = tab.inner_text("#checks ul.records")
    assert reference in record
    assert "your roles do not open this record" in record
    assert tab.locator(f"#checks ul.records a[href='/staff/requests/{reference}']").count() == 0

    _pack_verifies(platform, tab, base, tmp_path)


def test_a_support_agent_is_refused_every_page_and_download(platform, page):
    base, tab = page
    make_staff(platform, "sal", PEOPLE["sal"])
    _sign_in(tab, base, "sal")
    assert tab.locator("nav >> text=Compliance").count() == 0
    for path in (
        "/staff/compliance",
        "/staff/compliance?status=fails",
        "/staff/compliance.pdf",
        "/staff/compliance/DP-PROMPT",
        "/staff/compliance/DP-PROMPT.pdf",
        "/staff/compliance/evidence.zip",
    ):
        assert tab.request.get(f"{base}{path}").status == 403, path


def _pdf_behind_link(tab, base):
    """The PDF the page's "Download PDF" link gives, fetched with the page's session (the
    whole body, whatever the machine's load)."""
    href = tab.get_attribute("#pdf", "href")
    assert href
    answer = tab.request.get(f"{base}{href}" if href.startswith("/") else href)
    assert answer.status == 200, answer.status
    assert answer.headers["content-type"].startswith("application/pdf")
    body = answer.body()
    assert body.startswith(b"%PDF")
    return body
