"""Headless Chromium (Playwright) for browser tests: one definition for every suite.

Debian's chromium at ``/usr/bin/chromium`` (``.ci/run`` installs it) is driven through
Playwright's Python API; no browser is downloaded at run time. A test that needs the
browser calls :func:`chromium_page` inside a fixture and skips with
:data:`MISSING_REASON` when :func:`available` is false.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
MISSING_REASON = (
    "Debian chromium is not installed at /usr/bin/chromium, or Playwright is missing "
    "(apt-get install chromium; scripts/bootstrap dev)"
)
TIMEOUT_MS = 15_000


def available() -> bool:
    """Whether a browser test can run here."""
    return (
        CHROMIUM.exists()
        and shutil.which(str(CHROMIUM)) is not None
        and importlib.util.find_spec("playwright") is not None
    )


@contextmanager
def chromium_page(*, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A fresh page in a fresh headless Chromium (a Playwright ``Page``)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a development dependency

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        context = browser.new_context(
            accept_downloads=True, viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            yield page
        finally:
            context.close()
            browser.close()
