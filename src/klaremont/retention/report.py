"""A run's or a dry run's report as a standalone HTML page (for the DPO and an auditor)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape

from klaremont.retention.words import CATEGORY_WORDS, EVENT_WORDS, action_words, period_words

if TYPE_CHECKING:
    from klaremont.retention.engine import Report

SHOWN_IDS = 25  # ids listed per target on the page; the JSON report has them all
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def to_html(report: Report) -> str:
    """The report as one escaped HTML page."""
    return _ENV.get_template("retention_report.html").render(
        report=report,
        shown=SHOWN_IDS,
        category_words=CATEGORY_WORDS,
        event_words=EVENT_WORDS,
        action_words=action_words,
        period_words=period_words,
    )
