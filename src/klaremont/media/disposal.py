"""Disposal (IS-MEDIA-DISPOSE, IS-MEDIA-WIPE): request, approve, carry out.

1. Anyone who manages media requests a disposal with a reason; the item is numbered
   ``D-<year>-<nnnn>``.
2. The Information Security Officer approves it: only a holder of ``media:approve``, and
   never the person who requested it (the refusal names the rule and is audited).
3. It is carried out with a NIST SP 800-88 category and a technique that category allows,
   by a named person, watched by a witness who is someone else, with the certificate's
   reference. Without an approval, or without a method, it is refused in words naming
   the field. A backup file is always crypto-erased: the item's disposal is announced
   (:class:`~klaremont.media.announcements.MediaDisposed`) and the backup capability
   destroys its key and deletes the file.

Every step is a row of the append-only ``media_disposal_steps`` and an audit event.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont import events
from klaremont.audit.events import Outcome
from klaremont.clock import uk_date
from klaremont.detectors.free_text import plain
from klaremont.errors import Conflict, FieldProblem, PermissionDenied, ValidationFailed
from klaremont.media.actions import MediaAction
from klaremont.media.announcements import MediaDisposed
from klaremont.media.models import NAME_MAX, PLACE_MAX, TEXT_MAX, MediaDisposalStep, MediaItem
from klaremont.media.permissions import MediaPermission
from klaremont.media.service import find, who
from klaremont.media.states import (
    ON_HAND,
    TECHNIQUES,
    Category,
    ItemState,
    MediaKind,
    Step,
    Technique,
)

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

REFERENCE = re.compile(r"D-(\d{4})-(\d{4,6})")
REASON_MIN = 5
STEP_ORDER = (Step.REQUESTED, Step.APPROVED, Step.CARRIED_OUT)


@dataclass(frozen=True, slots=True)
class CarryOut:
    """How a disposal was carried out (checked by :func:`carry_out`)."""

    category: str | None
    technique: str | None
    performed_by: str | None
    witness: str | None
    certificate: str | None


def steps(uow: UnitOfWork, item: MediaItem) -> list[MediaDisposalStep]:
    """Every disposal step of the item, oldest first (a disposal's steps in their order)."""
    found = uow.session.scalars(
        select(MediaDisposalStep).where(MediaDisposalStep.item_id == item.id)
    )
    return sorted(found, key=lambda s: (s.at, s.reference, STEP_ORDER.index(s.step)))


def _current(uow: UnitOfWork, item: MediaItem) -> dict[Step, MediaDisposalStep]:
    """The steps of the item's latest disposal, by step."""
    found = steps(uow, item)
    if not found:
        return {}
    latest = found[-1].reference
    return {s.step: s for s in found if s.reference == latest}


def _next_reference(uow: UnitOfWork) -> str:
    year = uow.clock.now().year
    made = uow.session.scalar(
        select(func.count(MediaDisposalStep.id)).where(
            MediaDisposalStep.step == Step.REQUESTED,
            MediaDisposalStep.reference.like(f"D-{year}-%"),
        )
    )
    return f"D-{year}-{(made or 0) + 1:04d}"


def _step(
    uow: UnitOfWork, item: MediaItem, reference: str, step: Step, **values: object
) -> MediaDisposalStep:
    row = MediaDisposalStep(
        item_id=item.id,
        reference=reference,
        step=step,
        at=uow.clock.now(),
        actor_id=uow.actor.id[:NAME_MAX],
        actor_name=who(uow),
        **values,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def _refused(uow: UnitOfWork, item: MediaItem, stage: str, rule: str) -> None:
    label = item.label
    uow.keep_only_refusal(
        lambda: uow.audit(
            MediaAction.DISPOSAL_REFUSED,
            Outcome.DENIED,
            resource=f"media:{label}",
            details={"label": label, "stage": stage, "rule": rule},
        )
    )


def request(uow: UnitOfWork, label: str, reason: str) -> MediaDisposalStep:
    """Ask for the item to be disposed of; returns the request (its reference)."""
    item = find(uow, label)
    why = plain("reason", reason, max_length=TEXT_MAX, min_length=REASON_MIN)
    if item.state not in ON_HAND - {ItemState.DISPOSAL_REQUESTED, ItemState.DISPOSAL_APPROVED}:
        raise Conflict(
            f"{item.label} is {item.state.value.replace('_', ' ')}: a disposal cannot be requested"
        )
    row = _step(uow, item, _next_reference(uow), Step.REQUESTED, reason=why)
    item.state = ItemState.DISPOSAL_REQUESTED
    uow.audit(
        MediaAction.DISPOSAL_REQUESTED,
        resource=f"media:{item.label}",
        details={"label": item.label, "disposal": row.reference},
    )
    return row


def approve(
    uow: UnitOfWork, label: str, *, permissions: Collection[str] | None = None
) -> MediaDisposalStep:
    """The ISO approves the item's requested disposal; never the requester.

    ``permissions`` are the approver's (``None``: the operator at the shell, who has the
    ISO's reach); without ``media:approve`` the approval is refused.
    """
    item = find(uow, label)
    current = _current(uow, item)
    requested = current.get(Step.REQUESTED)
    if item.state is not ItemState.DISPOSAL_REQUESTED or requested is None:
        raise Conflict(f"{item.label}: there is no disposal request waiting for approval")
    if permissions is not None and MediaPermission.MEDIA_APPROVE not in permissions:
        rule = "a disposal is approved by the Information Security Officer"
        _refused(uow, item, "approve", rule)
        raise PermissionDenied(rule)
    if requested.actor_id == uow.actor.id[:NAME_MAX]:
        rule = (
            f"the person who requested disposal {requested.reference} cannot approve it: "
            "another Information Security Officer must"
        )
        _refused(uow, item, "approve", rule)
        raise PermissionDenied(rule)
    row = _step(uow, item, requested.reference, Step.APPROVED)
    item.state = ItemState.DISPOSAL_APPROVED
    uow.audit(
        MediaAction.DISPOSAL_APPROVED,
        resource=f"media:{item.label}",
        details={"label": item.label, "disposal": row.reference},
    )
    return row


def _method(how: CarryOut, item: MediaItem) -> tuple[Category, Technique]:
    problems: list[tuple[str, str]] = []
    category = technique = None
    try:
        category = Category((how.category or "").strip())
    except ValueError:
        words = ", ".join(c.value for c in Category)
        problems.append(("category", f"the method's category is required: one of {words}"))
    try:
        technique = Technique((how.technique or "").strip())
    except ValueError:
        words = ", ".join(t.value for t in Technique)
        problems.append(("technique", f"the method's technique is required: one of {words}"))
    if problems:
        raise ValidationFailed(
            "; ".join(f"{field}: {rule}" for field, rule in problems),
            problems=[FieldProblem(field, rule) for field, rule in problems],
        )
    assert category is not None  # noqa: S101 - checked above
    assert technique is not None  # noqa: S101 - checked above
    if technique not in TECHNIQUES[category]:
        allowed = ", ".join(sorted(t.value for t in TECHNIQUES[category]))
        raise ValidationFailed.single(
            "technique", f"{category.value} allows {allowed}, not {technique.value}"
        )
    if item.kind is MediaKind.BACKUP and technique is not Technique.CRYPTO_ERASE:
        raise ValidationFailed.single(
            "technique",
            "a backup file is disposed of by crypto-erase (purge): its own key is destroyed "
            "and the file deleted",
        )
    return category, technique


def carry_out(uow: UnitOfWork, label: str, how: CarryOut) -> MediaDisposalStep:
    """Record the disposal carried out; refused without approval or without a method."""
    item = find(uow, label)
    current = _current(uow, item)
    if item.state is not ItemState.DISPOSAL_APPROVED or Step.APPROVED not in current:
        rule = (
            "disposal needs the Information Security Officer's approval first"
            if item.state is not ItemState.DISPOSED
            else "it was already disposed of"
        )
        _refused(uow, item, "carry_out", rule)
        raise Conflict(f"{item.label}: {rule}")
    try:
        category, technique = _method(how, item)
    except ValidationFailed as exc:
        _refused(uow, item, "carry_out", exc.detail)
        raise
    performer = plain("performed_by", how.performed_by, max_length=NAME_MAX)
    witness = plain("witness", how.witness, max_length=NAME_MAX)
    if witness.casefold() == performer.casefold():
        raise ValidationFailed.single("witness", "must be someone other than who carried it out")
    certificate = plain("certificate", how.certificate, max_length=PLACE_MAX)
    reference = current[Step.APPROVED].reference
    row = _step(
        uow,
        item,
        reference,
        Step.CARRIED_OUT,
        category=category,
        technique=technique,
        performed_by=performer,
        witness=witness,
        certificate=certificate,
    )
    item.state = ItemState.DISPOSED
    item.held_by = None
    uow.audit(
        MediaAction.DISPOSED,
        resource=f"media:{item.label}",
        details={
            "label": item.label,
            "disposal": reference,
            "category": category.value,
            "technique": technique.value,
        },
    )
    # last: a backup's key is destroyed by the subscriber and that cannot be undone
    events.publish(
        uow,
        MediaDisposed(
            label=item.label,
            disposal=reference,
            technique=technique.value,
            disposed_on=uk_date(row.at).isoformat(),
            backup_id=item.backup_id,
        ),
    )
    return row
