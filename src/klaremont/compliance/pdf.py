"""The compliance page as a PDF: the overview (every clause the filters keep, a table per
policy) and one clause's drill-down, drawn server-side with fpdf2.

Thin over :mod:`klaremont.compliance.overview`: it lays out what the page shows, in the
same words. Text is set in the PDF core font Helvetica (nothing embedded, no system font
needed), which covers Latin-1 only: typographic quotes and dashes become their plain
forms (:func:`plain`) and anything else outside Latin-1 a question mark, so a clause text
can never stop a PDF from being drawn.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Final

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from klaremont.compliance.overview import DOCUMENTS, FILTERS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from klaremont.compliance.overview import CheckView, ClauseLine, Overview

FONT: Final = "Helvetica"
TITLE: Final = "Klaremont compliance"
#: text colour of each status class (RGB)
STATUS_COLOUR: Final = {
    "fails": (176, 0, 32),
    "unknown": (138, 90, 0),
    "holds": (0, 110, 50),
    "none": (80, 80, 80),
}
_HEADING: Final = FontFace(emphasis="BOLD", fill_color=(230, 233, 238))
_PLAIN: Final = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u2192": "->",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u00a0": " ",
    }
)


def plain(text: str) -> str:
    """``text`` in the characters the core font has (Latin-1)."""
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


class _Document(FPDF):
    """A4 landscape with the title and a page number on every page."""

    def __init__(self, heading: str, generated_at: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self._heading = plain(heading)
        self._generated_at = plain(generated_at)
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_title(self._heading)
        self.set_author("Klaremont")
        self.set_creator("Klaremont compliance console")
        self.set_lang("en-GB")

    def footer(self) -> None:
        """``Klaremont compliance - generated ... - page n of N`` at the foot of each page."""
        self.set_y(-10)
        self.set_font(FONT, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(
            0,
            5,
            f"{self._heading} - generated {self._generated_at} - page {self.page_no()} of {{nb}}",
            align="C",
        )
        self.set_text_color(0, 0, 0)

    def title_block(self, lines: Sequence[str]) -> None:
        """The heading and the lines under it (when, what the filters kept)."""
        self.set_font(FONT, style="B", size=16)
        self.cell(0, 9, self._heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)
        for line in lines:
            self.multi_cell(0, 5, plain(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def section(self, words: str) -> None:
        """A section heading (a policy, or a part of the drill-down)."""
        if self.will_page_break(20):
            self.add_page()
        self.ln(2)
        self.set_font(FONT, style="B", size=12)
        self.cell(0, 7, plain(words), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=8)

    def paragraph(self, words: str) -> None:
        """A paragraph of body text."""
        self.set_font(FONT, size=9)
        self.multi_cell(0, 5, plain(words), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rows(
        self,
        headings: Sequence[str],
        widths: Sequence[int],
        body: Sequence[tuple[Sequence[str], str]],
    ) -> None:
        """A table that repeats its headings (if any) on each page; each row's last cell
        takes the colour of its status class (the second item), when it has one."""
        self.set_font(FONT, size=8)
        with self.table(
            col_widths=tuple(widths),
            text_align="LEFT",
            line_height=4.2,
            padding=1.2,
            first_row_as_headings=bool(headings),
            headings_style=_HEADING,
            repeat_headings=1,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        ) as table:
            if headings:
                head = table.row()
                for words in headings:
                    head.cell(plain(words))
            for cells, status_key in body:
                row = table.row()
                for number, words in enumerate(cells):
                    colour = STATUS_COLOUR.get(status_key) if number == len(cells) - 1 else None
                    style = FontFace(color=colour) if colour else None
                    row.cell(plain(words), style=style)

    def finish(self) -> bytes:
        """The PDF's bytes."""
        return bytes(self.output())


def _tests(line: ClauseLine) -> str:
    return f"{line.tests_passed} of {line.tests_total}" if line.tests_total else "none run"


def _status(line: ClauseLine) -> str:
    return f"{line.status}: {line.reason}" if line.reason else line.status


def _now(check: CheckView) -> str:
    records = "; ".join(label for label, _ in check.records)
    said = f"{check.status}: {check.now}" if check.now else check.status
    return f"{said}\nRelated records: {records}" if records else said


def filters_in_words(view: Overview) -> str:
    """What the filters kept, in words."""
    policy = DOCUMENTS.get(view.document, "Every policy")
    status = FILTERS.get(view.status, "any")
    return f"Showing: {policy}; live status {status.lower()} ({len(view.lines)} clauses)."


def overview_pdf(view: Overview, *, generated_at: str) -> bytes:
    """The overview as a PDF: a table per policy of the clauses the filters kept."""
    document = _Document(TITLE, generated_at)
    document.add_page()
    ran = f"Tests last run {view.tests_run_at}." if view.tests_run_at else "No test results."
    counts = ", ".join(f"{words}: {view.counts.get(key, 0)}" for key, words in FILTERS.items())
    document.title_block(
        [
            f"Generated {generated_at}. {ran} Live checks run every hour.",
            filters_in_words(view),
            f"Every clause, by live status: {counts}.",
            *view.problems,
        ]
    )
    if not view.lines:
        document.paragraph("No clause matches these filters.")
    for policy, lines in groupby(view.lines, key=lambda line: line.document):
        document.section(policy)
        document.rows(
            ("Clause", "What it promises", "Scope", "Tests passed", "Since", "Live status"),
            (28, 86, 32, 17, 26, 84),
            [
                (
                    (
                        line.id,
                        line.text,
                        line.scope,
                        _tests(line),
                        line.since or "-",
                        _status(line),
                    ),
                    line.status_key,
                )
                for line in lines
            ],
        )
    return document.finish()


def clause_pdf(line: ClauseLine, *, generated_at: str) -> bytes:
    """One clause's drill-down as a PDF: its facts, checks, tests and history."""
    document = _Document(f"Klaremont compliance: clause {line.id}", generated_at)
    document.add_page()
    since = f" since {line.since}" if line.since else ""
    document.title_block([f"Generated {generated_at}.", line.text])
    document.rows(
        (),
        (60, 213),
        [
            (("Policy", line.document), ""),
            (("Scope", line.scope), ""),
            (("The control expected", line.expected_control), ""),
            *([(("Why no system control", line.justification), "")] if line.justification else []),
            (("Tests passed", _tests(line)), ""),
            (("Live status", f"{_status(line)}{since}"), line.status_key),
        ],
    )
    document.section("What is checked")
    if line.checks:
        document.rows(
            ("Check", "What it reads", "Now"),
            (70, 113, 90),
            [((check.title, check.reads, _now(check)), check.status_key) for check in line.checks],
        )
    else:
        document.paragraph("This clause has no live check.")
    document.section("Tests")
    if line.tests:
        document.rows(
            ("Test", "Last outcome"),
            (233, 40),
            [((test.name, test.outcome), "") for test in line.tests],
        )
    else:
        document.paragraph("No test result recorded for this clause.")
    document.section("History of its live status")
    if line.history:
        document.rows(
            ("From", "Reason", "Status"),
            (40, 193, 40),
            [
                ((change.at, change.detail, change.status), change.status_key)
                for change in line.history
            ],
        )
    else:
        document.paragraph("No status recorded yet.")
    return document.finish()
