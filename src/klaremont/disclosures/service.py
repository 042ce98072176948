"""Disclosures to third parties (PP-NOSHARE, IS-USE-DISCLOSE): the request and the decision.

A request names the recipient (name, kind, country, and optionally a mailbox for Art. 19
notices), the customers (account reference or e-mail address, through the customers
capability's ``customer_lookup`` point), the data categories asked for, the basis and the
reason. The basis must be complete: consent names the consent record the person gave (a
recorded reference: the consent capability offers no look-up of a single record yet, so the
reference is kept as given and the director checks it), a court order its reference, a
statutory obligation its statute; vital interests says whose life is at stake and why.

Only a director who is not the requester approves or refuses; anyone else is refused, and
the refusal audited. Exporting is in :mod:`klaremont.disclosures.export`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from klaremont import capabilities
from klaremont.audit.events import Outcome
from klaremont.detectors.free_text import plain
from klaremont.disclosures.actions import DisclosureAction
from klaremont.disclosures.models import (
    BASIS_MAX,
    CONTACT_MAX,
    NAME_MAX,
    TEXT_MAX,
    BasisKind,
    DisclosedPerson,
    Disclosure,
    DisclosureState,
    RecipientKind,
)
from klaremont.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.purposes.decide import actor_roles
from klaremont.staff.permissions import Role
from klaremont.transfers import check_country

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from klaremont.platform import UnitOfWork

LOOKUP_POINT = "customer_lookup"
REASON_MIN = 10
MAX_PEOPLE = 50
_EMAIL = re.compile(r"[^\s@<>]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,24}")
_RESOURCE = "disclosure:{}"

#: what each basis must name, in the words a refusal uses
BASIS_NEEDS = {
    BasisKind.CONSENT: "the consent record the person gave (its reference)",
    BasisKind.COURT_ORDER: "the court order's reference",
    BasisKind.STATUTORY_OBLIGATION: "the statute (e.g. DPA 2018 Sch 2 para 2)",
    BasisKind.VITAL_INTERESTS: "whose life is at stake and why",
}
BASIS_WORDS = {
    BasisKind.CONSENT: "Consent of the person",
    BasisKind.COURT_ORDER: "Court order",
    BasisKind.STATUTORY_OBLIGATION: "Statutory obligation",
    BasisKind.VITAL_INTERESTS: "Vital interests",
}
KIND_WORDS = {
    RecipientKind.POLICE: "Police",
    RecipientKind.COURT: "Court",
    RecipientKind.COMPANY: "Company",
    RecipientKind.REGULATOR: "Regulator",
}


class DecisionRefused(ValidationFailed):
    """Someone other than a director who is not the requester tried to decide."""

    status = 403
    code = "disclosure-decision-refused"
    title = "Only another director may decide"


@dataclass(frozen=True, slots=True)
class NewDisclosure:
    """A request as typed (checked by :func:`request`)."""

    recipient_name: str
    recipient_kind: str
    recipient_country: str
    customers: list[str]
    categories: list[str]
    basis_kind: str
    basis_reference: str
    reason: str
    recipient_contact: str | None = None


def who(uow: UnitOfWork) -> str:
    """The acting person's display name."""
    return (uow.actor.label or uow.actor.id)[:NAME_MAX]


def split(value: str) -> list[str]:
    """A stored comma-separated list."""
    return [v for v in value.split(",") if v]


def _kind(value: str) -> RecipientKind:
    try:
        return RecipientKind(value.strip())
    except ValueError:
        words = ", ".join(k.value for k in RecipientKind)
        raise ValidationFailed.single("recipient_kind", f"one of {words}") from None


def _basis(value: str) -> BasisKind:
    try:
        return BasisKind(value.strip())
    except ValueError:
        words = ", ".join(k.value for k in BasisKind)
        raise ValidationFailed.single("basis_kind", f"one of {words}") from None


def _categories(names: Iterable[str]) -> list[DataCategory]:
    found: list[DataCategory] = []
    for name in names:
        text = name.strip()
        if not text:
            continue
        try:
            category = DataCategory(text)
        except ValueError:
            raise ValidationFailed.single(
                "categories", f"{text[:40]!r} is not a data category"
            ) from None
        if category not in found:
            found.append(category)
    if not found:
        raise ValidationFailed.single("categories", "name at least one data category")
    return found


def _contact(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > CONTACT_MAX or not _EMAIL.fullmatch(text):
        raise ValidationFailed.single("recipient_contact", "an e-mail address, or leave it empty")
    return text


def _people(uow: UnitOfWork, names: Iterable[str]) -> list[tuple[uuid.UUID, str]]:
    asked = [n.strip() for n in names if n.strip()]
    if not asked:
        raise ValidationFailed.single(
            "customers", "name at least one customer by account reference or e-mail address"
        )
    if len(asked) > MAX_PEOPLE:
        raise ValidationFailed.single("customers", f"at most {MAX_PEOPLE} customers at once")
    providers = capabilities.extensions(LOOKUP_POINT)
    if not providers:
        raise ValidationFailed.single("customers", "no customer directory answers look-ups")
    people: dict[uuid.UUID, str] = {}
    for text in asked:
        found: dict[uuid.UUID, str] = {}
        for provider in providers:
            for ref in cast("Callable[[UnitOfWork, str], Iterable[Any]]", provider)(uow, text):
                found.setdefault(uuid.UUID(str(ref.subject_id)), str(ref.reference))
        if not found:
            raise ValidationFailed.single(
                "customers", "no customer has one of those account references or addresses"
            )
        if len(found) > 1:
            raise ValidationFailed.single(
                "customers", "one of them names more than one person; use account references"
            )
        people.update(found)
    return sorted(people.items(), key=lambda item: item[1])


def next_reference(uow: UnitOfWork) -> str:
    """``DX-<year>-<n>``, numbered within the year."""
    prefix = f"DX-{uow.clock.now().year}-"
    taken = uow.session.scalars(
        select(Disclosure.reference).where(Disclosure.reference.like(prefix + "%"))
    )
    highest = max((int(r.rsplit("-", 1)[-1]) for r in taken), default=0)
    return f"{prefix}{highest + 1:04d}"


def request(uow: UnitOfWork, asked: NewDisclosure) -> Disclosure:
    """Record a request to disclose (nothing leaves until a director approves), audited."""
    name = plain("recipient_name", asked.recipient_name, max_length=NAME_MAX, min_length=2)
    kind = _kind(asked.recipient_kind)
    country = check_country(asked.recipient_country, "recipient_country")
    contact = _contact(asked.recipient_contact)
    categories = _categories(asked.categories)
    basis = _basis(asked.basis_kind)
    basis_text = (asked.basis_reference or "").strip()
    if not basis_text:
        raise ValidationFailed.single("basis_reference", f"name {BASIS_NEEDS[basis]}")
    basis_reference = plain("basis_reference", basis_text, max_length=BASIS_MAX, min_length=3)
    reason = plain("reason", asked.reason, max_length=TEXT_MAX, min_length=REASON_MIN)
    people = _people(uow, asked.customers)
    made = Disclosure(
        reference=next_reference(uow),
        recipient_name=name,
        recipient_kind=kind,
        recipient_country=country,
        recipient_contact=contact,
        categories=",".join(c.value for c in categories),
        basis_kind=basis,
        basis_reference=basis_reference,
        reason=reason,
        state=DisclosureState.REQUESTED,
        requested_by=str(uow.actor)[:128],
        requested_by_name=who(uow),
        requested_at=uow.clock.now(),
    )
    uow.session.add(made)
    uow.session.flush()
    for subject_id, account in people:
        uow.session.add(
            DisclosedPerson(
                disclosure_id=made.id, subject_id=subject_id, customer_reference=account
            )
        )
    uow.session.flush()
    uow.audit(
        DisclosureAction.REQUESTED,
        resource=_RESOURCE.format(made.reference),
        details={
            "reference": made.reference,
            "recipient_kind": kind.value,
            "country": country,
            "basis": basis.value,
            "categories": [c.value for c in categories],
            "people": len(people),
        },
    )
    return made


def find(uow: UnitOfWork, reference: str) -> Disclosure:
    """One disclosure by reference."""
    found = uow.session.scalar(
        select(Disclosure).where(Disclosure.reference == reference.strip().upper())
    )
    if found is None:
        raise NotFound(f"no disclosure {reference[:30]}")
    return found


def people(uow: UnitOfWork, disclosure: Disclosure) -> list[DisclosedPerson]:
    """The people a disclosure covers, by account reference."""
    query = (
        select(DisclosedPerson)
        .where(DisclosedPerson.disclosure_id == disclosure.id)
        .order_by(DisclosedPerson.customer_reference)
    )
    return list(uow.session.scalars(query))


def disclosures(uow: UnitOfWork, limit: int = 200) -> list[Disclosure]:
    """The register, newest first."""
    query = select(Disclosure).order_by(Disclosure.requested_at.desc()).limit(limit)
    return list(uow.session.scalars(query))


def _deny(uow: UnitOfWork, disclosure: Disclosure, rule: str, why: str) -> None:
    reference = disclosure.reference
    uow.keep_only_refusal(
        lambda: uow.audit(
            DisclosureAction.DECISION_DENIED,
            Outcome.DENIED,
            resource=_RESOURCE.format(reference),
            details={"reference": reference, "why": why},
        )
    )
    raise DecisionRefused(f"approver: {rule}", problems=[FieldProblem("approver", rule)])


def _require_decider(uow: UnitOfWork, disclosure: Disclosure) -> None:
    """A director, and not the requester (IS-USE-DISCLOSE)."""
    roles = actor_roles(uow) or frozenset()
    if Role.DIRECTOR not in roles:
        _deny(uow, disclosure, "only a company director approves or refuses a disclosure", "role")
    if str(uow.actor)[:128] == disclosure.requested_by:
        _deny(
            uow,
            disclosure,
            "a director may not decide a disclosure they requested; another director must",
            "requester",
        )
    if disclosure.state is not DisclosureState.REQUESTED:
        raise Conflict(f"{disclosure.reference} is already {disclosure.state.value}")


def approve(uow: UnitOfWork, reference: str, note: str = "") -> Disclosure:
    """A director's approval (audited); the export can then be built."""
    disclosure = find(uow, reference)
    _require_decider(uow, disclosure)
    text = note.strip()
    disclosure.state = DisclosureState.APPROVED
    disclosure.decided_by = str(uow.actor)[:128]
    disclosure.decided_by_name = who(uow)
    disclosure.decided_as = Role.DIRECTOR.value
    disclosure.decided_at = uow.clock.now()
    disclosure.decision_note = plain("note", text, max_length=TEXT_MAX) if text else "approved"
    uow.session.flush()
    uow.audit(
        DisclosureAction.APPROVED,
        resource=_RESOURCE.format(disclosure.reference),
        details={"reference": disclosure.reference, "basis": disclosure.basis_kind.value},
    )
    return disclosure


def refuse(uow: UnitOfWork, reference: str, reason: str) -> Disclosure:
    """A director's refusal with the reason (audited); nothing can be exported."""
    disclosure = find(uow, reference)
    why = plain("reason", reason, max_length=TEXT_MAX, min_length=REASON_MIN)
    _require_decider(uow, disclosure)
    disclosure.state = DisclosureState.REFUSED
    disclosure.decided_by = str(uow.actor)[:128]
    disclosure.decided_by_name = who(uow)
    disclosure.decided_as = Role.DIRECTOR.value
    disclosure.decided_at = uow.clock.now()
    disclosure.decision_note = why
    uow.session.flush()
    uow.audit(
        DisclosureAction.REFUSED,
        resource=_RESOURCE.format(disclosure.reference),
        details={"reference": disclosure.reference},
    )
    return disclosure
