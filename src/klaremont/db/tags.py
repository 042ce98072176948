"""How a table tells the rights machinery what it holds: ``Table.info`` keys.

Any capability may tag its tables (``__table_args__ = {"info": {...}}``); untagged tables
with a ``subject_id`` column are found and handled by default (exported and erased):

``info["rights"]``
    ``"keep"``: exported in an access copy, never deleted by an erasure (records that prove
    a duty was met, e.g. the requests themselves); nullable links to erased rows are cleared.
    ``"internal"``: deleted by an erasure, never exported (secrets, copies of exports).
    ``"ignore"``: not the subject's data for rights purposes (the pseudonymous erasure ledger).
``info["data_category"]``
    the :class:`klaremont.policy.model.DataCategory` value of the table's rows, used for the
    retention and legal-hold rules and the Art. 15 information.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

RIGHTS: Final = "rights"
DATA_CATEGORY: Final = "data_category"


class Handling(StrEnum):
    """What access and erasure do with a table (``Table.info["rights"]``)."""

    DEFAULT = "default"
    KEEP = "keep"
    INTERNAL = "internal"
    IGNORE = "ignore"
