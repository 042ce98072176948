"""A processor without a connector gets a deletion task when a person is erased (PP-SUPPORT,
PP-R-ERASE): the answer to the rights capability's ``external_erasure`` point.

Every exported support share naming the erased person's account, whose deletion the
partner has not yet confirmed, is due for deletion today (an earlier due date is kept) and
the partner's contact is mailed a fresh single-use confirmation link
(:func:`klaremont.processors.support_link.issue`; the new link replaces any earlier one,
so only one link per share ever works). Each share asked is audited; the erasure's outcome
lists one entry per partner. Runs before the sweep, while the person's account can still
be matched to the shares' account references.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from klaremont.processors.actions import ProcessorAction
from klaremont.processors.holders import held_shares
from klaremont.processors.support_link import ErasureDeletionRequest, issue

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import UnitOfWork

ASKED = "deletion asked"
NO_CONTACT = "no contact address on record: ask the partner by hand"


class ErasureRequest(Protocol):
    """What this answer reads of the rights capability's erasure request."""

    @property
    def reference(self) -> str:
        """The request's reference."""
        ...


def external_erasure(
    uow: UnitOfWork, subject_id: uuid.UUID, request: ErasureRequest
) -> list[dict[str, Any]]:
    """Ask each support partner holding the person's data to delete it now."""
    today = uow.clock.now().date()
    states: dict[str, str] = {}
    for share, partner, _account in held_shares(uow, subject_id):
        store = f"support:{partner.key}"
        if share.due_on is None or share.due_on > today:
            share.due_on = today
        relinked = share.token_digest is not None
        if partner.contact_email:
            issue(uow, share, partner, ErasureDeletionRequest)
            state = ASKED
        else:  # pragma: no cover - a support partner needs a contact to be shared with
            state = NO_CONTACT
        if states.get(store) != NO_CONTACT:
            states[store] = state
        uow.audit(
            ProcessorAction.SUPPORT_SHARE_DELETION_ASKED,
            resource=f"support-share:{share.reference}",
            details={
                "ticket": share.ticket,
                "request": request.reference,
                "due_on": share.due_on.isoformat(),
                "mailed": state == ASKED,
                "earlier_link_replaced": relinked,
            },
        )
    return [{"store": store, "state": state} for store, state in states.items()]
