"""Erasure (PP-R-ERASE, PP-KEEP, IS-SENS-DISPOSE): delete what no legal reason keeps, in one
transaction, in foreign-key order; keep what the law holds; then crypto-shred.

What is kept, and why the data key may have to wait
    A row under a legal hold (``policy.legal_holds``: invoices six years from issue) is
    kept, with the rows it cannot exist without (the order an invoice belongs to, and that
    order's lines, which hold no personal value of their own). Nullable links from kept rows
    to deleted ones are cleared. The person stays as a tombstone ``data_subjects`` row,
    marked erased and restricted (storage only: the shared purpose check refuses any other
    use), and the reply lists every kept table with its count and the date the hold ends.

    Held invoices are sealed under the person's data key, so destroying the key now would
    destroy records the law says to keep. The key is therefore destroyed when nothing
    retained needs it any more (``shred_due_at``): at once when nothing is held, or when the
    last hold ends (``klaremont rights shred-due``, run daily, deletes the then-expired rows
    and destroys the key). Until then the only rows left are the held ones. Re-sealing the
    invoices under a separate "legal hold" key was rejected: a restore of an older backup
    brings back the originals sealed under the person's key, which would then be unreadable
    -- the held invoices would be lost exactly when they are needed.

    The confirmation mail is queued before the deletes and spared by them; it is sealed
    under the same key, so the key also waits for it to be sent (at most
    :data:`NOTICE_GRACE`).

Backups
    The pseudonymous ledger (:mod:`klaremont.rights.ledger`) is re-applied after any restore
    (:func:`reapply`), so an older backup cannot bring the person back.

An erasure is refused while an access or portability request of the same person is open:
altering data to prevent its disclosure is an offence (DPA 2018 s.173).

Holds on the person (UK GDPR Art. 17(3)(e))
    Before anything is touched, the ``subject_hold`` extension point (:mod:`klaremont.holds`)
    is asked whether the person's data must be kept for legal claims (an incident's legal
    hold on the customers it affects). While one is in force the erasure is refused with
    :class:`ErasureHeld`, naming the hold: nothing is deleted, nothing is written but the
    audited refusal, the request stays open (the case page shows the hold) and can be
    carried out once the hold is lifted. The deferred shred (:func:`shred_due`) likewise
    leaves a held person's key and rows alone until the hold is lifted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from klaremont import capabilities, holds
from klaremont.audit.events import Outcome
from klaremont.db.subjects import Subject
from klaremont.errors import Conflict, ValidationFailed
from klaremont.events import publish
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.rights import ledger, service
from klaremont.rights.announcements import SubjectErased
from klaremont.rights.events import RightsEvent, audit_rights, request_resource, subject_resource
from klaremont.rights.models import ErasureLedger
from klaremont.rights.states import RequestKind
from klaremont.rights.sweep import Sweep, sweep

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping

    from klaremont.platform import UnitOfWork

NOTICE_GRACE = timedelta(days=3)
#: extension point: ``(uow, subject_id, request) -> [{"store": ..., "state": ...}]``, erasure
#: in external stores (called before Klaremont's own rows go, while what identifies the
#: person is on file)
EXTERNAL_ERASURE = "external_erasure"
BLOCKING_KINDS = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY})
_REASON_MAX = 200


class ErasureBlocked(Conflict):
    """An access (or portability) request of the same person is still open (DPA 2018 s.173)."""

    code = "erasure-blocked"
    title = "Erasure must wait for an open access request"


class ErasureHeld(ErasureBlocked):
    """The person's data is under a legal hold (Art. 17(3)(e)): kept until it is lifted."""

    code = "erasure-held"
    title = "Erasure must wait for a legal hold to be lifted"


def require_not_held(uow: UnitOfWork, subject_id: uuid.UUID) -> None:
    """Refuse, naming each hold, while any hold is in force on the person."""
    found = holds.holds_on(uow, [subject_id])
    if found:
        raise ErasureHeld(
            "the person's data is under "
            + holds.describe(found)
            + ": nothing was erased. The request stays open; carry it out once the hold "
            "is lifted, or answer it as refused for now (UK GDPR Art. 17(3)(e))"
        )


@dataclass(frozen=True)
class ErasureReply:
    """What the person is told: what was deleted, what is kept and until when, the key."""

    request_id: uuid.UUID
    deleted: Mapping[str, int]
    retained: Mapping[str, int]
    hold_until: datetime | None
    key_destroyed_at: datetime | None
    shred_due_at: datetime


def _mark_subject(uow: UnitOfWork, subject: Subject, swept: Sweep) -> None:
    now = uow.clock.now()
    subject.erased_at = subject.erased_at or now
    subject.marketing_objection_at = subject.marketing_objection_at or now
    subject.restricted_at = subject.restricted_at or now
    if swept.retained:
        kept = ", ".join(sorted(swept.retained))
        until = swept.hold_until.date().isoformat() if swept.hold_until else "its hold ends"
        reason = f"erased; {kept} kept under legal hold until {until}"
    else:
        reason = "erased; nothing retained"
    subject.restriction_reason = reason[:_REASON_MAX]


def _shred(uow: UnitOfWork, subject_id: uuid.UUID, why: str) -> datetime:
    uow.crypto.destroy(subject_id, why[:64])
    audit_rights(uow, RightsEvent.KEY_SHREDDED, resource=subject_resource(subject_id))
    return uow.clock.now()


def erase(uow: UnitOfWork, request_id: uuid.UUID) -> ErasureReply:
    """Fulfil an erasure request (see the module docstring)."""
    request = service.get(uow, request_id)
    if request.kind is not RequestKind.ERASURE:
        raise ValidationFailed.single("kind", "only an erasure request erases")
    service.require_workable(request)
    blockers = service.open_requests_of(uow, request.subject_id, BLOCKING_KINDS)
    if blockers:
        raise ErasureBlocked(
            "the person's access request "
            + ", ".join(r.reference for r in blockers)
            + " is still open: answer it first (DPA 2018 s.173)"
        )
    require_not_held(uow, request.subject_id)
    service.start(uow, request)
    external = [
        result
        for point in capabilities.extensions(EXTERNAL_ERASURE)
        for result in point(uow, request.subject_id, request)
    ]
    notice = service.notify(uow, request)
    spare = {OutboxMessage.__tablename__: {notice}} if notice is not None else None
    swept = sweep(uow, request.subject_id, keep_held=True, spare=spare)
    now = uow.clock.now()
    subject = uow.session.get(Subject, request.subject_id)
    if subject is not None:
        _mark_subject(uow, subject, swept)
    # Art. 19: the recipients are told (after the sweep, so their mail is not swept)
    publish(uow, SubjectErased(subject_id=request.subject_id))
    shred_due = max(swept.hold_until or now, now + NOTICE_GRACE if notice else now)
    destroyed = (
        _shred(uow, request.subject_id, f"erasure {request.reference}")
        if shred_due <= now
        else None
    )
    entry = ledger.LedgerEntry(
        subject=request.subject_id,
        erased_at=now,
        shred_due_at=shred_due,
        hold_until=swept.hold_until,
        key_destroyed_at=destroyed,
        request=request.id,
        notice=notice,
        retained=json.dumps(swept.retained, sort_keys=True),
    )
    ledger.record(uow, entry)
    outcome: dict[str, Any] = {
        "deleted": swept.deleted,
        "retained": swept.retained,
        "hold_until": swept.hold_until.isoformat() if swept.hold_until else None,
        "key": "destroyed"
        if destroyed
        else f"destroyed when nothing retained needs it ({shred_due.date().isoformat()})",
    }
    if external:  # per store: done, or failed (retryable; the details are the provider's)
        outcome["external"] = {str(r["store"]): str(r["state"]) for r in external}
    audit_rights(uow, RightsEvent.ERASED, resource=request_resource(request.id), details=outcome)
    service.complete(uow, request, outcome, tell=False)
    return ErasureReply(
        request_id=request.id,
        deleted=swept.deleted,
        retained=swept.retained,
        hold_until=swept.hold_until,
        key_destroyed_at=destroyed,
        shred_due_at=shred_due,
    )


def record_blocked(uow: UnitOfWork, request_id: uuid.UUID, error: ErasureBlocked) -> None:
    """Audit a refused erasure (the adapter commits before answering with the conflict)."""
    audit_rights(
        uow,
        RightsEvent.ERASURE_REFUSED,
        outcome=Outcome.DENIED,
        resource=request_resource(request_id),
        details={"reason": error.code},
    )


def _notice_settled(uow: UnitOfWork, row: ErasureLedger) -> bool:
    if row.notice_ref is None:
        return True
    status = uow.session.scalar(
        select(OutboxMessage.status).where(OutboxMessage.id == row.notice_ref)
    )
    return status is None or status != MailStatus.PENDING


def shred_due(uow: UnitOfWork) -> list[uuid.UUID]:
    """Destroy the keys that nothing retained needs any more; returns the subjects shredded.

    Due when the last hold has ended and the confirmation mail has gone (or its grace
    period is over). Rows whose hold has ended are deleted first. A person under a hold of
    the ``subject_hold`` point (an incident's legal hold) is skipped until it is lifted.
    """
    now = uow.clock.now()
    rows = uow.session.scalars(
        select(ErasureLedger).where(ErasureLedger.key_destroyed_at.is_(None))
    ).all()
    held = holds.held_subjects(uow, [row.subject_ref for row in rows])
    done: list[uuid.UUID] = []
    for row in rows:
        if row.subject_ref in held:
            continue  # a legal hold keeps the rows and the key until it is lifted
        hold_over = row.hold_until is None or row.hold_until <= now
        if not (row.shred_due_at <= now or (hold_over and _notice_settled(uow, row))):
            continue
        sweep(uow, row.subject_ref, keep_held=False)
        destroyed = _shred(uow, row.subject_ref, "erasure: retention ended")
        ledger.record(
            uow,
            replace(ledger.LedgerEntry.from_row(row), key_destroyed_at=destroyed, retained="{}"),
        )
        done.append(row.subject_ref)
    return done


@dataclass(frozen=True)
class ReapplyReport:
    """What re-applying the ledger did."""

    entries: int
    subjects_found: int
    rows_deleted: int
    keys_destroyed: int


def reapply(uow: UnitOfWork) -> ReapplyReport:
    """Erase again every person in the ledger (after a restore): rows, flags and keys.

    Keys already destroyed stay destroyed (the keystore is never restored from a data
    backup); a person whose key is destroyed, or whose last hold has ended, loses the held
    rows too; one still under a hold (of the law, or of the ``subject_hold`` point) keeps
    only the held rows, as at erasure. A person the
    restored database already knows as erased, in the same key state, is skipped.
    """
    entries = ledger.merged(uow)
    known = {row.subject_ref: row for row in uow.session.scalars(select(ErasureLedger)).all()}
    now = uow.clock.now()
    held = holds.held_subjects(uow, [entry.subject for entry in entries])
    found = deleted = shredded = 0
    for entry in entries:
        due = entry.shred_due_at <= now and entry.subject not in held
        shred_now = entry.key_destroyed_at is not None or due
        row = known.get(entry.subject)
        current = row is not None and (row.key_destroyed_at is not None or not shred_now)
        subject = uow.session.get(Subject, entry.subject)
        if subject is not None and not current:
            found += 1
            swept = sweep(uow, entry.subject, keep_held=not shred_now)
            deleted += sum(swept.deleted.values())
            subject = uow.session.get(Subject, entry.subject)
            if subject is not None:
                _mark_subject(uow, subject, swept)
        destroyed = entry.key_destroyed_at
        if shred_now and destroyed is None:
            destroyed = _shred(uow, entry.subject, "erasure ledger re-applied")
            shredded += 1
        if not current:
            ledger.record(uow, replace(entry, key_destroyed_at=destroyed))
    uow.session.execute(update(ErasureLedger).values(reapplied_at=now))
    report = ReapplyReport(len(entries), found, deleted, shredded)
    audit_rights(
        uow,
        RightsEvent.LEDGER_REAPPLIED,
        resource="erasure_ledger",
        details={
            "entries": report.entries,
            "subjects_found": report.subjects_found,
            "rows_deleted": report.rows_deleted,
            "keys_destroyed": report.keys_destroyed,
        },
    )
    return report
