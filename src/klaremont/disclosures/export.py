"""Building a disclosure's export (PP-NOSHARE, IS-USE-DISCLOSE, DP-TRANSFER).

The export is refused, with only the refusal audited, unless the disclosure:

* has a recorded basis (kind and reference);
* was approved by a director who is not its requester (recorded on the approval);
* has not been exported already (the file is handed over once: it is not kept);
* goes to a country the transfer guard allows (``klaremont.transfers.guard``).

The platform builds it from each person's data for the approved categories only, through
the ``subject_data`` extension point (the rights capability answers with the access copy's
reading, narrowed column by column), records the export (when, by whom, the file's SHA-256,
the guard's basis) and audits it once per disclosure and once per person: from then on the
recipient appears in each person's access copy (:mod:`klaremont.disclosures.recipients`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from klaremont import capabilities
from klaremont.audit.events import Outcome
from klaremont.disclosures import service
from klaremont.disclosures.actions import DisclosureAction
from klaremont.disclosures.models import TEXT_MAX, Disclosure, DisclosureState
from klaremont.errors import FieldProblem, ValidationFailed
from klaremont.staff.permissions import Role
from klaremont.transfers import guard

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

DATA_POINT = "subject_data"
FORMAT = "klaremont.disclosure/1"


class ExportRefused(ValidationFailed):
    """The export may not be built (no basis, no approval, already handed over)."""

    status = 409
    code = "disclosure-export-refused"
    title = "Export refused"


@dataclass(frozen=True, slots=True)
class Export:
    """The file handed over once."""

    reference: str
    filename: str
    body: bytes
    people: int


def problem(disclosure: Disclosure) -> tuple[str, str, str] | None:  # noqa: PLR0911 - one return per rule, read in order
    """Why this disclosure may not be exported: ``(field, rule, clause)``, or ``None``."""
    if not disclosure.basis_reference or not disclosure.basis_reference.strip():
        return ("basis_reference", "no basis is recorded for this disclosure", "PP-NOSHARE")
    if disclosure.state is DisclosureState.EXPORTED:
        return ("state", "it was already exported; the file is handed over once", "PP-NOSHARE")
    if disclosure.state is DisclosureState.REFUSED:
        return ("state", "a director refused this disclosure", "IS-USE-DISCLOSE")
    if disclosure.state is not DisclosureState.APPROVED or disclosure.decided_at is None:
        return ("approval", "a director has not approved this disclosure", "IS-USE-DISCLOSE")
    if disclosure.decided_as != Role.DIRECTOR.value:
        return ("approval", "it was not approved by a director", "IS-USE-DISCLOSE")
    if not disclosure.decided_by or disclosure.decided_by == disclosure.requested_by:
        return ("approval", "its requester approved it; another director must", "IS-USE-DISCLOSE")
    return None


def _refuse(uow: UnitOfWork, disclosure: Disclosure, field: str, rule: str, clause: str) -> None:
    reference = disclosure.reference
    uow.keep_only_refusal(
        lambda: uow.audit(
            DisclosureAction.EXPORT_DENIED,
            Outcome.DENIED,
            resource=f"disclosure:{reference}",
            details={"reference": reference, "field": field, "clause": clause},
        )
    )
    raise ExportRefused(f"{field}: {rule} ({clause})", problems=[FieldProblem(field, rule)])


def build(uow: UnitOfWork, reference: str) -> Export:
    """Build the export of an approved disclosure, once (see the module docstring)."""
    disclosure = service.find(uow, reference)
    found = problem(disclosure)
    if found is not None:
        _refuse(uow, disclosure, *found)
    verdict = guard(
        uow,
        country=disclosure.recipient_country,
        recipient=disclosure.recipient_name,
        path="disclosure",
        field="recipient_country",
        resource=f"disclosure:{disclosure.reference}",
    )
    providers = capabilities.extensions(DATA_POINT)
    if not providers:
        _refuse(uow, disclosure, "data", "nothing can read the people's data", "PP-NOSHARE")
    categories = service.split(disclosure.categories)
    people: list[dict[str, Any]] = []
    covered = service.people(uow, disclosure)
    for person in covered:
        data: dict[str, Any] = {}
        for provider in providers:
            data.update(provider(uow, person.subject_id, categories))
        people.append({"account_reference": person.customer_reference, "data": data})
    now = uow.clock.now()
    document = {
        "format": FORMAT,
        "reference": disclosure.reference,
        "controller": "Klaremont",
        "recipient": {
            "name": disclosure.recipient_name,
            "kind": disclosure.recipient_kind.value,
            "country": disclosure.recipient_country,
        },
        "basis": {"kind": disclosure.basis_kind.value, "reference": disclosure.basis_reference},
        "approved_by": disclosure.decided_by_name,
        "approved_at": disclosure.decided_at.isoformat() if disclosure.decided_at else None,
        "categories": categories,
        "generated_at": now.isoformat(),
        "people": people,
    }
    body = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True).encode()
    disclosure.state = DisclosureState.EXPORTED
    disclosure.exported_at = now
    disclosure.exported_by_name = service.who(uow)
    disclosure.export_digest = hashlib.sha256(body).hexdigest()
    disclosure.transfer_basis = verdict.basis[:TEXT_MAX]
    uow.session.flush()
    uow.audit(
        DisclosureAction.EXPORTED,
        resource=f"disclosure:{disclosure.reference}",
        purpose="legal_obligation",
        details={
            "reference": disclosure.reference,
            "people": len(covered),
            "categories": categories,
            "country": disclosure.recipient_country,
            "sha256": disclosure.export_digest,
        },
    )
    for person in covered:
        uow.audit(
            DisclosureAction.EXPORTED,
            resource=f"subject:{person.subject_id}",
            purpose="legal_obligation",
            details={"reference": disclosure.reference, "categories": categories},
        )
    return Export(
        reference=disclosure.reference,
        filename=f"disclosure-{disclosure.reference}.json",
        body=body,
        people=len(covered),
    )
