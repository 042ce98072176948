"""CSV cells a spreadsheet shows as text, never runs (CWE-1236, formula injection).

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheet programs as a formula: a customer named ``=HYPERLINK(...)`` would run in the
reader's spreadsheet. Every CSV the platform writes for people to open passes its cells
through :func:`safe_cell`, which puts an apostrophe before such a cell (the spreadsheet
shows the text; the apostrophe is not shown). A portability copy is the exception: it is
the person's data exactly as held, for another system to read, not a sheet for staff.
"""

from __future__ import annotations

from typing import Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as CSV text a spreadsheet shows as text: ``=1+1`` becomes ``'=1+1``;
    ``None`` is empty."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
