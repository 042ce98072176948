"""Files for the auditor's evidence pack: the ``evidence_files`` extension point.

A capability that keeps a register an auditor asks for (the access review, the
data-subject request register, the incident register, the disposal register, the processor
register, the record of processing) plugs a provider into the point::

    extensions=(("evidence_files", "klaremont.media.evidence:files"),)

``files(uow) -> list[(name, bytes)]``: plain lower-case file names (``media-disposals.csv``)
and their contents, built with the capability's own export functions. The compliance
capability gathers them into the signed pack (:mod:`klaremont.compliance.evidence`). This
module is the foundation's: it imports no capability, and the pack names none of its
providers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from klaremont.spreadsheet import safe_cell

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

POINT = "evidence_files"
Provider = Callable[["UnitOfWork"], list[tuple[str, bytes]]]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file's bytes; a cell a spreadsheet would read as a formula is quoted with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8")
