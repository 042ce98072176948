"""Rectification, restriction and objection (PP-R-RECTIFY, DP-ACCURATE, PP-R-RESTRICT,
PP-R-OBJECT).

A correction names a record of the person's own (``customers`` or ``addresses``), a field
and the new value; a record of anyone else is reported as not found. The audit records
which fields changed, never the values before or after. Restriction sets the subject's
``restricted_at``: storage only, enforced everywhere by the shared purpose check. An
objection to marketing switches marketing and profiling off at once; an objection to
holding the data waits for the DPO's decision.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont import plausible
from klaremont.customers.announcements import CustomerRectified
from klaremont.customers.models import Address, Customer
from klaremont.db.subjects import Subject
from klaremont.errors import NotFound, ValidationFailed
from klaremont.events import publish
from klaremont.rights import service
from klaremont.rights.announcements import SubjectRestricted
from klaremont.rights.events import RightsEvent, audit_rights, subject_resource
from klaremont.rights.states import ObjectionScope, RequestKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest

#: what a person (staff or the requester) reads for a field a correction names
FIELD_WORDS = {
    "name": "Name",
    "date_of_birth": "Date of birth",
    "gender": "Gender",
    "email": "E-mail",
    "phone": "Telephone",
    "mobile": "Mobile",
    "line1": "Address line 1",
    "line2": "Address line 2",
    "town": "Town",
    "postcode": "Postcode",
    "country": "Country",
}
RECTIFIABLE: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "customers": (Customer, ("name", "date_of_birth", "gender", "email", "phone", "mobile")),
    "addresses": (Address, ("line1", "line2", "town", "postcode", "country")),
}
VALUE_MAX = 200
_COUNTRY = re.compile(r"[A-Z]{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UK_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_REASON_MAX = 200


@dataclass(frozen=True)
class Correction:
    """One field of one of the person's records, and its corrected value."""

    record: str
    row_id: uuid.UUID
    field: str
    value: str | None


def parse_corrections(raw: object) -> list[Correction]:
    """Read ``[{"record", "id", "field", "value"}, ...]``, naming the first bad entry."""
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed.single("corrections", "a non-empty list of corrections")
    found: list[Correction] = []
    for index, item in enumerate(raw):
        where = f"corrections[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed.single(where, "an object with record, id, field and value")
        record, field, value = item.get("record"), item.get("field"), item.get("value")
        if record not in RECTIFIABLE:
            raise ValidationFailed.single(f"{where}.record", f"one of {', '.join(RECTIFIABLE)}")
        if field not in RECTIFIABLE[record][1]:
            allowed = ", ".join(RECTIFIABLE[record][1])
            raise ValidationFailed.single(f"{where}.field", f"one of {allowed}")
        try:
            row_id = uuid.UUID(str(item.get("id")))
        except ValueError:
            raise ValidationFailed.single(f"{where}.id", "a record id") from None
        if value is not None and (not isinstance(value, str) or len(value) > VALUE_MAX):
            raise ValidationFailed.single(f"{where}.value", f"text of at most {VALUE_MAX}")
        if field == "country" and not (isinstance(value, str) and _COUNTRY.fullmatch(value)):
            raise ValidationFailed.single(f"{where}.value", "a two-letter country code")
        if field == "date_of_birth" and value is not None:
            value = _birth_date(f"{where}.value", value)
        found.append(Correction(record, row_id, field, value))
    return found


def _birth_date(where: str, value: str) -> str:
    """A date of birth as stored (``YYYY-MM-DD``), a real day, from how people write one:
    ``1951-01-03``, ``03/01/1951`` (UK order), ``3 January 1951`` or ``3 Jan 1951``.
    ``2026-02-30`` matched the stored pattern once and was stored, failing every later read.
    """
    text = " ".join(value.split())
    if _DATE.fullmatch(text):
        try:
            born = date.fromisoformat(text)
        except ValueError:
            raise ValidationFailed.single(where, "a date that exists on the calendar") from None
        return plausible.day(where, born).isoformat()
    uk = _UK_DATE.fullmatch(text)
    if uk:
        text = f"{uk.group(1)}/{uk.group(2)}/{uk.group(3)}"
    for pattern in ("%d/%m/%Y", "%d %B %Y", "%d %b %Y"):
        try:
            born = datetime.strptime(text, pattern).replace(tzinfo=UTC).date()
        except ValueError:
            continue
        return plausible.day(where, born).isoformat()
    raise ValidationFailed.single(where, "a date such as 03/01/1951 or 3 January 1951")


def check_owned(uow: UnitOfWork, subject_id: uuid.UUID, corrections: Sequence[Correction]) -> None:
    """Refuse, when the request is made, a correction of a record that is not the person's
    own (it was refused only when staff carried the request out, after it had sat in their
    queue aimed at someone else's account)."""
    for index, correction in enumerate(corrections):
        model, _fields = RECTIFIABLE[correction.record]
        owner = uow.session.scalar(select(model.subject_id).where(model.id == correction.row_id))
        if owner != subject_id:
            raise ValidationFailed.single(
                f"corrections[{index}].id", "is not one of the person's own records"
            )


def described(uow: UnitOfWork, raw: object) -> list[str]:
    """The corrections a request asks for, in words for the staff carrying it out: the
    field, whose record (the account's reference, the address's kind) and the new value;
    never a record id."""
    try:
        corrections = parse_corrections(raw)
    except ValidationFailed:
        return ["(the corrections asked for could not be read)"]
    lines: list[str] = []
    for correction in corrections:
        model, _fields = RECTIFIABLE[correction.record]
        row = uow.session.get(model, correction.row_id)
        if isinstance(row, Customer):
            whose = f"account {row.reference}"
        elif isinstance(row, Address):
            whose = f"{row.kind} address"
        else:
            whose = "a record no longer held"
        value = correction.value if correction.value is not None else "(remove it)"
        lines.append(f"{FIELD_WORDS[correction.field]} of the {whose}: {value}")
    return lines


def rectify(
    uow: UnitOfWork, request: RightsRequest, corrections: Sequence[Correction]
) -> list[str]:
    """Apply the corrections to the person's own records; returns ``table.field`` names."""
    changed: list[str] = []
    accounts: set[uuid.UUID] = set()
    for correction in corrections:
        model, _fields = RECTIFIABLE[correction.record]
        row = uow.session.get(model, correction.row_id)
        if row is None or row.subject_id != request.subject_id:
            raise NotFound(f"no such {correction.record} record of this person")
        if correction.field == "date_of_birth" and correction.value is not None:
            today = uow.clock.now().date()
            plausible.past_day("value", date.fromisoformat(correction.value), today)
        setattr(row, correction.field, correction.value)
        if isinstance(row, Customer):
            row.updated_at = uow.clock.now()
        accounts.add(row.id if isinstance(row, Customer) else row.customer_id)
        changed.append(f"{correction.record}.{correction.field}")
    uow.session.flush()
    # DP-ACCURATE: a correction counts as a review of each account it touched
    publish(
        uow,
        CustomerRectified(
            customer_ids=tuple(sorted(accounts)), channel="rights_request", fields=tuple(changed)
        ),
    )
    audit_rights(
        uow,
        RightsEvent.RECTIFIED,
        resource=subject_resource(request.subject_id),
        details={"request": request.reference, "fields": sorted(set(changed))},
    )
    return sorted(set(changed))


def restrict(uow: UnitOfWork, subject_id: uuid.UUID, why: str) -> bool:
    """Restrict processing to storage; False if it already was restricted."""
    subject = uow.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such person")
    if subject.restricted_at is not None:
        return False
    subject.restricted_at = uow.clock.now()
    subject.restriction_reason = why[:_REASON_MAX]
    uow.session.flush()
    # Art. 19: whoever received the person's data is told (disclosures subscribes)
    publish(uow, SubjectRestricted(subject_id=subject_id))
    audit_rights(
        uow,
        RightsEvent.RESTRICTED,
        resource=subject_resource(subject_id),
        details={"restricted": True},
    )
    return True


def lift_restriction(uow: UnitOfWork, subject_id: uuid.UUID, reason: str) -> None:
    """End a restriction (the person is told first, Art. 18(3)); refused for an erased person."""
    note = service.clean_reason(reason)
    subject = uow.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such person")
    if subject.erased_at is not None:
        raise ValidationFailed.single("subject", "an erased person stays restricted")
    subject.restricted_at = None
    subject.restriction_reason = None
    uow.session.flush()
    audit_rights(
        uow,
        RightsEvent.RESTRICTION_LIFTED,
        resource=subject_resource(subject_id),
        details={"reason_length": len(note)},
    )


def decide_objection(uow: UnitOfWork, request: RightsRequest, *, uphold: bool, reason: str) -> None:
    """The DPO's decision on an objection to holding the data (DP-DPO)."""
    if request.kind is not RequestKind.OBJECTION or request.scope is not ObjectionScope.PROCESSING:
        raise ValidationFailed.single("request", "only an objection to processing is decided")
    service.start(uow, request)
    if uphold:
        restrict(uow, request.subject_id, f"objection upheld ({request.reference})")
        service.complete(uow, request, {"decision": "upheld", "restricted": True})
    else:
        service.refuse(uow, request, reason)
