"""The accuracy section of the single customer view (plugged in by the declaration).

For each open account of the person: when its details were last confirmed accurate (or
corrected, or the account opened), when they fall due for review, and whether that is
overdue (DP-ACCURATE). Shown under the view's own need-to-know rule: the review history is
identity data (its table is classed so), so the section appears only when the purpose and
the reader's roles may see identity details. The read is recorded as ``accuracy.read``
with the purpose the reader gave; no personal value is read or decrypted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.accuracy.actions import AccuracyAction
from klaremont.accuracy.service import subject_clocks
from klaremont.customers.view import RecordReview
from klaremont.policy.model import DataCategory

if TYPE_CHECKING:
    from klaremont.customers.view import CustomerView, ViewRequest
    from klaremont.platform import UnitOfWork

#: the category the review history is classed as (``accuracy_reviews``' table info)
CATEGORY = DataCategory.IDENTITY


def contribute(uow: UnitOfWork, request: ViewRequest, view: CustomerView) -> None:
    """Add each open account's review clock when the view may show identity details."""
    if CATEGORY not in request.shown:
        return
    clocks = subject_clocks(uow, request.subject_id)
    view.accuracy = [
        RecordReview.model_validate(  # basis and state checked against the model's words
            {
                "reference": c.reference,
                "last_confirmed_at": c.clock.last_confirmed_at,
                "basis": c.clock.basis,
                "due_on": c.clock.due_on,
                "days_left": c.clock.days_left,
                "state": c.state,
            }
        )
        for c in clocks
    ]
    uow.audit(
        AccuracyAction.ACCURACY_READ,
        resource=request.resource,
        purpose=request.access.purpose.value,
        details={
            "view": True,
            "accounts": len(clocks),
            "overdue": sum(1 for c in clocks if c.state == "overdue"),
        },
    )
