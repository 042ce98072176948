"""The erasure ledger: who was erased, by pseudonymous id only, kept where a restore can't undo it.

An erasure writes its entry twice: in ``erasure_ledger`` (same transaction as the deletes)
and, once that transaction commits, as one line appended to
``<var>/ledger/erasure-ledger.jsonl`` (fsynced, mode 0600) -- outside the data store, so
restoring an older backup of the database does not take the entry away. A restore unites
both with the keystore's own record of destroyed data keys (the keystore is never part of a
data backup) and re-applies every entry (:func:`klaremont.rights.erasure.reapply`).

Each line holds the subject's UUID, dates and the id of the confirmation mail; never a
personal value.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select
from sqlalchemy.orm import sessionmaker

from klaremont.crypto.keystore_models import SubjectKey
from klaremont.db.subjects import Subject
from klaremont.rights.models import ErasureLedger

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from sqlalchemy.orm import Session

    from klaremont.config import Settings
    from klaremont.platform import Platform, UnitOfWork

logger = logging.getLogger(__name__)
_PENDING = "klaremont.rights.ledger.pending"
FILE_MODE = 0o600
_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One erased person."""

    subject: uuid.UUID
    erased_at: datetime
    shred_due_at: datetime
    hold_until: datetime | None = None
    key_destroyed_at: datetime | None = None
    request: uuid.UUID | None = None
    notice: uuid.UUID | None = None
    retained: str = "{}"

    def to_json(self) -> str:
        """One line of the ledger file."""
        data: dict[str, Any] = asdict(self)
        return json.dumps(
            {
                k: (
                    str(v)
                    if isinstance(v, uuid.UUID)
                    else v.isoformat()
                    if isinstance(v, datetime)
                    else v
                )
                for k, v in data.items()
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, line: str) -> LedgerEntry:
        """Read one line back."""
        data = json.loads(line)

        def when(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if value else None

        def ident(key: str) -> uuid.UUID | None:
            value = data.get(key)
            return uuid.UUID(value) if value else None

        subject = uuid.UUID(data["subject"])
        erased = when("erased_at")
        due = when("shred_due_at")
        if erased is None or due is None:
            msg = "ledger line lacks erased_at or shred_due_at"
            raise ValueError(msg)
        return cls(
            subject=subject,
            erased_at=erased,
            shred_due_at=due,
            hold_until=when("hold_until"),
            key_destroyed_at=when("key_destroyed_at"),
            request=ident("request"),
            notice=ident("notice"),
            retained=str(data.get("retained", "{}")),
        )

    @classmethod
    def from_row(cls, row: ErasureLedger) -> LedgerEntry:
        """The entry of a database row."""
        return cls(
            subject=row.subject_ref,
            erased_at=row.erased_at,
            shred_due_at=row.shred_due_at,
            hold_until=row.hold_until,
            key_destroyed_at=row.key_destroyed_at,
            request=row.request_ref,
            notice=row.notice_ref,
            retained=row.retained,
        )


def ledger_file(settings: Settings) -> Path:
    """Where the ledger file lives (beside the keystore, apart from the data store)."""
    return settings.var_dir / "ledger" / "erasure-ledger.jsonl"


def _append(path: Path, entries: Iterable[LedgerEntry]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.write(fd, "".join(e.to_json() + "\n" for e in entries).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_file(path: Path) -> list[LedgerEntry]:
    """Every entry in the ledger file (a missing file is an empty ledger)."""
    if not path.exists():
        return []
    entries: list[LedgerEntry] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(LedgerEntry.from_json(line))
        except (ValueError, KeyError) as exc:
            logger.error("erasure ledger line %d unreadable: %s", number, type(exc).__name__)  # noqa: TRY400 - no stack traces in logs
    return entries


def record(uow: UnitOfWork, entry: LedgerEntry, *, to_file: bool = True) -> None:
    """Write the entry to the table now and (``to_file``) to the file when this commits."""
    row = uow.session.scalars(
        select(ErasureLedger).where(ErasureLedger.subject_ref == entry.subject)
    ).first()
    if row is None:
        row = ErasureLedger(subject_ref=entry.subject, erased_at=entry.erased_at)
        uow.session.add(row)
    row.request_ref = entry.request or row.request_ref
    row.notice_ref = entry.notice
    row.retained = entry.retained
    row.hold_until = entry.hold_until
    row.shred_due_at = entry.shred_due_at
    row.key_destroyed_at = entry.key_destroyed_at or row.key_destroyed_at
    uow.session.flush()
    if to_file:
        _after_commit(uow, entry)


def _after_commit(uow: UnitOfWork, entry: LedgerEntry) -> None:
    session = uow.session
    pending: list[LedgerEntry] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        path = ledger_file(uow.platform.settings)

        def write(done: Session) -> None:
            entries = done.info.pop(_PENDING, [])
            if entries:
                try:
                    _append(path, entries)
                except OSError as exc:
                    logger.error("erasure ledger file not written: %s", type(exc).__name__)  # noqa: TRY400 - no stack traces

        def drop(done: Session) -> None:
            if not done.in_nested_transaction():
                done.info.pop(_PENDING, None)

        event.listen(session, "after_commit", write)
        event.listen(session, "after_rollback", drop)
    pending.append(entry)


def destroyed_in_keystore(platform: Platform) -> set[uuid.UUID]:
    """Subjects whose data key the keystore records as destroyed."""
    sessions = sessionmaker(platform.keystore_engine)
    with sessions() as session:
        return set(
            session.scalars(
                select(SubjectKey.subject_id).where(SubjectKey.destroyed_at.is_not(None)).distinct()
            )
        )


def _customers_among(uow: UnitOfWork, subjects: set[uuid.UUID]) -> list[uuid.UUID]:
    """The ids that are data subjects of this store (staff keys live in the keystore too)."""
    ids = sorted(subjects, key=str)
    found: list[uuid.UUID] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.extend(uow.session.scalars(select(Subject.id).where(Subject.id.in_(chunk))))
    return found


def merged(uow: UnitOfWork) -> list[LedgerEntry]:
    """Every entry known anywhere: the table, the file, and shredded keys in the keystore.

    For one subject the newest facts win: a destroyed key stays destroyed.
    """
    by_subject: dict[uuid.UUID, LedgerEntry] = {}
    rows = [LedgerEntry.from_row(r) for r in uow.session.scalars(select(ErasureLedger))]
    for entry in [*rows, *read_file(ledger_file(uow.platform.settings))]:
        known = by_subject.get(entry.subject)
        if known is None:
            by_subject[entry.subject] = entry
            continue
        newer = entry if entry.erased_at >= known.erased_at else known
        destroyed = known.key_destroyed_at or entry.key_destroyed_at
        by_subject[entry.subject] = replace(newer, key_destroyed_at=destroyed)
    now = uow.clock.now()
    shredded = destroyed_in_keystore(uow.platform)
    for subject in shredded & set(by_subject):
        if by_subject[subject].key_destroyed_at is None:
            by_subject[subject] = replace(by_subject[subject], key_destroyed_at=now)
    for subject in _customers_among(uow, shredded - set(by_subject)):
        by_subject[subject] = LedgerEntry(
            subject=subject, erased_at=now, shred_due_at=now, key_destroyed_at=now
        )
    return sorted(by_subject.values(), key=lambda e: (e.erased_at, str(e.subject)))
