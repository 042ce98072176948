"""The run history as an HTML report (``klaremont jobs history --html FILE``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape

from klaremont.display import uk_datetime
from klaremont.jobs.status import every_words

if TYPE_CHECKING:
    from datetime import datetime

    from klaremont.jobs.status import JobState, RunView

_ENV = Environment(
    loader=PackageLoader("klaremont.jobs", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(uk_datetime=uk_datetime, every_words=every_words)


def history_html(
    runs: list[RunView], states: list[JobState], *, generated_at: datetime, job: str | None
) -> str:
    """The report: each job's standing, then the runs newest first."""
    return _ENV.get_template("history_report.html").render(
        runs=runs, states=states, generated_at=generated_at, job=job
    )
