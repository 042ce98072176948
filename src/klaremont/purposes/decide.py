"""The one purpose check of the whole system (DP-PURPOSE, IS-SENS-NEED, PP-R-RESTRICT, PP-R-OBJECT).

Every read or change of a person's data names a :class:`~klaremont.purposes.Purpose` and
the :class:`~klaremont.policy.model.DataCategory` values it touches, and calls
:func:`authorise` first. It refuses, raising :class:`~klaremont.errors.PurposeRefused`:

* a category the purpose may not touch (the register, :mod:`klaremont.purposes.register`);
* an actor who may not use the purpose or read a category (need-to-know):
  staff by their roles (role -> purposes, role permissions -> categories); a system actor
  by its explicit allowance (:func:`allow_system_actor`); a customer only for their own
  data and only for order processing, support or their own legal rights;
* a person whose processing is **restricted** or who was **erased**: storage only, so every
  purpose is refused except ``legal_obligation`` (UK GDPR Art. 18(2): legal claims, the
  person's own requests, a court order; invoices under their six-year legal hold);
* **marketing** of a person who objected (``Subject.marketing_objection_at``) or whom any
  registered marketing veto rules out (the consent module registers one for opt-outs).

A refusal is audited as ``purpose.refused`` (with ``card.read``/denied as well when
cardholder data was asked for) naming actor, purpose, the subject's pseudonymous id and the
categories. Because the refusal must outlive the request it ends, :func:`authorise` keeps only the
refusal (:meth:`~klaremont.platform.UnitOfWork.keep_only_refusal`, as the staff guard does
for ``authz.denied``): the refused work is discarded, the refusal is kept.
Callers that only want to *filter* (lists) use :func:`refusal`, which decides without
auditing or raising.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from sqlalchemy import select

from klaremont import capabilities
from klaremont.audit.events import ActorType, AuditAction, Outcome, action_tag
from klaremont.db.base import Base
from klaremont.db.subjects import Subject
from klaremont.errors import PurposeRefused
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import Purpose
from klaremont.purposes.register import categories_for, role_categories
from klaremont.staff.permissions import Role, purposes_of

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from klaremont.platform import UnitOfWork

#: ``veto(session, subject_id, channel) -> reason or None``; ``channel`` is the marketing
#: channel ("email", "post", ...) or ``None`` for marketing in general.
MarketingVeto = Callable[["Session", uuid.UUID, str | None], str | None]


#: Purposes a customer may use on their own data (their orders, their queries, their rights).
SELF_SERVICE: Final = frozenset(
    {Purpose.ORDER_PROCESSING, Purpose.SUPPORT, Purpose.LEGAL_OBLIGATION}
)

#: What restriction and erasure leave: storage, and legal obligations on retained records.
STORAGE_ONLY: Final = frozenset({Purpose.LEGAL_OBLIGATION})

# System actors by id (an entry ending with ":" covers every id starting with it).
_SYSTEM_ALLOWANCES: dict[str, frozenset[Purpose]] = {
    # the platform's own jobs: retention, request fulfilment, demo seeding, checks
    "klaremont": frozenset(
        {Purpose.ORDER_PROCESSING, Purpose.INVOICING, Purpose.LEGAL_OBLIGATION, Purpose.SECURITY}
    ),
    # an operator at the shell (``klaremont customers ...``); marketing needs a marketing role
    "cli:": frozenset(set(Purpose) - {Purpose.MARKETING}),
}


class Person(Protocol):
    """What the purpose check reads of a data subject (a :class:`Subject` row, or the state
    a Core read carries, :class:`klaremont.customers.account_read.PersonState`)."""

    @property
    def id(self) -> uuid.UUID:
        """The subject's id."""

    @property
    def restricted_at(self) -> datetime | None:
        """When processing was restricted (storage only)."""

    @property
    def erased_at(self) -> datetime | None:
        """When the person was erased."""

    @property
    def marketing_objection_at(self) -> datetime | None:
        """When the person objected to marketing."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why processing is refused: a stable code and a sentence for people."""

    code: str
    reason: str


# ------------------------------------------------------------------ registries


#: The extension point a capability plugs a marketing veto into (its declaration's
#: ``extensions``): ``veto(session, subject_id, channel) -> reason or None``.
MARKETING_VETO: Final = "marketing_veto"


def marketing_vetoes() -> tuple[MarketingVeto, ...]:
    """Every veto the capabilities plug into ``marketing_veto`` (their declarations)."""
    declared: tuple[MarketingVeto, ...] = capabilities.extensions(MARKETING_VETO)
    return declared


def allow_system_actor(actor_id: str, purposes: Iterable[Purpose]) -> None:
    """Let the system actor ``actor_id`` (or, ending in ":", every id with that prefix)
    process for ``purposes``. Restriction, erasure, objection and vetoes still apply."""
    _SYSTEM_ALLOWANCES[actor_id] = frozenset(Purpose(p) for p in purposes)


def system_allowance(actor_id: str) -> frozenset[Purpose]:
    """The purposes a system actor may process for (empty: none)."""
    if actor_id in _SYSTEM_ALLOWANCES:
        return _SYSTEM_ALLOWANCES[actor_id]
    for prefix, purposes in _SYSTEM_ALLOWANCES.items():
        if prefix.endswith(":") and actor_id.startswith(prefix):
            return purposes
    return frozenset()


# ------------------------------------------------------------------ deciding


def refusal(  # noqa: PLR0911 - one return per rule reads top to bottom as the policy does
    uow: UnitOfWork,
    *,
    subject: Person | uuid.UUID,
    purpose: Purpose,
    categories: Iterable[DataCategory],
    actor_roles: Iterable[Role] | None = None,
    channel: str | None = None,
) -> Refusal | None:
    """Why processing ``categories`` of ``subject`` for ``purpose`` is refused (``None``: allowed).

    Decides only: no audit, no exception. ``actor_roles`` are the acting staff member's
    roles when the caller already has them (otherwise they are looked up for staff actors).
    """
    try:
        purpose = Purpose(purpose)
    except ValueError:
        return Refusal("unknown-purpose", "that purpose is not in the purposes register")
    wanted = frozenset(DataCategory(c) for c in categories)
    outside = sorted(c.value for c in wanted - categories_for(purpose))
    if outside:
        return Refusal(
            "category-outside-purpose",
            f"{purpose.value} may not touch {', '.join(outside)} (purposes register)",
        )
    person: Person | None = (
        uow.session.get(Subject, subject) if isinstance(subject, uuid.UUID) else subject
    )
    if person is None:
        return Refusal("unknown-subject", "no such data subject")
    found = _actor_refusal(uow, person, purpose, wanted, actor_roles)
    if found is not None:
        return found
    if purpose not in STORAGE_ONLY:
        if person.erased_at is not None:
            return Refusal(
                "subject-erased",
                "the person was erased: records are kept for legal obligations only",
            )
        if person.restricted_at is not None:
            return Refusal(
                "subject-restricted",
                "processing is restricted: the data is stored but may not otherwise be used",
            )
    if purpose is Purpose.MARKETING:
        return _marketing_refusal(uow.session, person, channel)
    return None


def authorise(
    uow: UnitOfWork,
    *,
    subject: Person | uuid.UUID,
    purpose: Purpose,
    categories: Iterable[DataCategory],
    actor_roles: Iterable[Role] | None = None,
    channel: str | None = None,
) -> None:
    """Allow the processing or raise :class:`PurposeRefused` with the reason, audited.

    On refusal the unit of work is rolled back, ``purpose.refused`` (and, for cardholder
    data, ``card.read``/denied) is recorded and committed, then the error is raised.
    """
    wanted = frozenset(DataCategory(c) for c in categories)
    found = refusal(
        uow,
        subject=subject,
        purpose=purpose,
        categories=wanted,
        actor_roles=actor_roles,
        channel=channel,
    )
    if found is None:
        return
    subject_id = subject if isinstance(subject, uuid.UUID) else subject.id
    try:
        known: Purpose | None = Purpose(purpose)
    except ValueError:
        known = None
    details: dict[str, object] = {
        "reason": found.code,
        "categories": sorted(c.value for c in wanted),
    }
    if actor_roles is not None:
        details["roles"] = sorted(Role(r).value for r in actor_roles)
    if channel is not None:
        details["channel"] = channel[:32]
    resource = f"subject:{subject_id}"

    def record() -> None:
        uow.audit(
            AuditAction.PURPOSE_REFUSED,
            Outcome.DENIED,
            resource=resource,
            purpose=known,
            details=details,
        )
        if DataCategory.PAYMENT_CARDS in wanted:
            uow.audit(
                action_tag("card.read"),
                Outcome.DENIED,
                resource=resource,
                purpose=known,
                details={"reason": found.code},
            )

    uow.keep_only_refusal(record)
    error = PurposeRefused(f"Refused for {known or 'an unknown purpose'}: {found.reason}.")
    error.reason = found.code
    raise error


def _actor_refusal(
    uow: UnitOfWork,
    subject: Person,
    purpose: Purpose,
    wanted: frozenset[DataCategory],
    actor_roles: Iterable[Role] | None,
) -> Refusal | None:
    actor = uow.actor
    if actor_roles is not None or actor.type is ActorType.STAFF:
        roles = frozenset(actor_roles) if actor_roles is not None else _staff_roles(uow)
        return _role_refusal(roles, purpose, wanted)
    if actor.type is ActorType.SYSTEM:
        if purpose in system_allowance(actor.id):
            return None
        return Refusal("system-purpose", f"{actor} has no allowance for {purpose.value}")
    if actor.type is ActorType.CUSTOMER:
        return _self_refusal(uow.session, actor.id, subject, purpose)
    return Refusal("actor", f"{actor.type.value} actors may not process personal data")


def _role_refusal(
    roles: frozenset[Role], purpose: Purpose, wanted: frozenset[DataCategory]
) -> Refusal | None:
    """Need-to-know: the roles must allow the purpose and every category asked for."""
    if purpose not in purposes_of(roles):
        return Refusal("role-purpose", f"your roles may not process for {purpose.value}")
    unreadable = sorted(c.value for c in wanted - role_categories(roles))
    if unreadable:
        return Refusal("role-category", f"your roles may not read {', '.join(unreadable)}")
    return None


def _self_refusal(
    session: Session, actor_id: str, subject: Person, purpose: Purpose
) -> Refusal | None:
    """A customer may use only their own data, and only for self-service purposes."""
    if purpose not in SELF_SERVICE:
        return Refusal("self-purpose", f"customers may not process for {purpose.value}")
    if actor_id != str(subject.id) and actor_id not in _account_ids(session, subject.id):
        return Refusal("not-own-data", "customers may see only their own data")
    return None


def actor_roles(uow: UnitOfWork) -> frozenset[Role] | None:
    """The acting staff member's roles (``None`` when the actor is not staff)."""
    if uow.actor.type is not ActorType.STAFF:
        return None
    return _staff_roles(uow)


def _staff_roles(uow: UnitOfWork) -> frozenset[Role]:
    from klaremont.staff.service_accounts import roles_of  # noqa: PLC0415 - staff services load late

    try:
        account_id = uuid.UUID(uow.actor.id)
    except ValueError:
        return frozenset()
    return roles_of(uow, account_id)


def _account_ids(session: Session, subject_id: uuid.UUID) -> set[str]:
    # The customer store's table by name: the purpose check sits below the capabilities
    # that ask it, so it imports none of their models.
    customers = Base.metadata.tables["customers"]
    rows = session.scalars(select(customers.c.id).where(customers.c.subject_id == subject_id))
    return {str(row) for row in rows}


def _marketing_refusal(session: Session, subject: Person, channel: str | None) -> Refusal | None:
    if subject.marketing_objection_at is not None:
        return Refusal("marketing-objection", "the person objected to marketing")
    for veto in marketing_vetoes():
        reason = veto(session, subject.id, channel)
        if reason is not None:
            return Refusal("marketing-veto", reason)
    return None
