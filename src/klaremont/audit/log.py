"""The audit log service: append events in the caller's transaction, seal, verify, read.

:meth:`AuditLog.record` writes an event inside the caller's transaction, so the event
commits or rolls back with the change it records (a read-only unit of work on PostgreSQL
has no transaction: its event commits at once and is sealed like any committed one).
Appenders serialise on the ``audit_head`` row (locked until the transaction ends; on
PostgreSQL each append is one statement, see :mod:`klaremont.audit.appender`), which
gives gapless ``seq`` numbers and a single chain. After a transaction that appended
events commits, a signed checkpoint of the new head is written outside the database
(:mod:`klaremont.audit.checkpoints`) by a background thread, at most once per
``KLAREMONT_AUDIT_SEAL_INTERVAL_MS`` (:mod:`klaremont.audit.sealer`), or before
``commit()`` returns when the interval is 0; :meth:`AuditLog.flush` seals everything
committed so far. A rollback writes nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from klaremont.audit import appender, models
from klaremont.audit.checkpoints import (
    Checkpoint,
    CheckpointSigner,
    append_checkpoint,
    load_or_create_signing_key,
    load_trusted_keys,
)
from klaremont.audit.encoding import GENESIS_HASH, canonical_json, format_timestamp
from klaremont.audit.events import ActionTag, Actor, ActorType, AuditAction, Outcome, action_tag
from klaremont.audit.fields import clean, normalise_origin
from klaremont.audit.models import AuditEvent
from klaremont.audit.query import EventFilter
from klaremont.audit.redaction import check_details, redact_details
from klaremont.audit.sealer import Sealer
from klaremont.audit.verify import Progress, verify_log
from klaremont.detectors.cards import redact
from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import Engine

    from klaremont.audit.report import VerificationReport
    from klaremont.clock import Clock
    from klaremont.config import Settings

logger = logging.getLogger(__name__)

_PENDING = "klaremont.audit.pending"  # session.info: this transaction appended events
_HEAD = "klaremont.audit.head"  # session.info: the head to seal once it commits
_LOCKED = "klaremont.audit.locked"  # session.info, not PostgreSQL: (transaction, locked head)
_BIND: dict[str, Any] = {"mapper": AuditEvent.__mapper__}
READ_LIMIT_MAX = 10_000


class AuditLog:
    """The tamper-evident audit log: one per platform, shared by every session.

    ``seal_interval`` (seconds): above 0, seal in a background thread, at most once per
    interval; 0 (the platform's setting defaults to 250 ms) seals before ``commit()`` returns.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        signer: CheckpointSigner,
        checkpoint_file: Path,
        trusted_keys: Mapping[str, Ed25519PublicKey] | None = None,
        seal_interval: float = 0.0,
    ) -> None:
        self.clock = clock
        self.signer = signer
        self.checkpoint_file = checkpoint_file
        self.trusted_keys: dict[str, Ed25519PublicKey] = dict(trusted_keys or {})
        self.trusted_keys[signer.key_id] = signer.public_key
        self._state_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._committed: tuple[int, str] = (0, GENESIS_HASH)
        self._attempted = 0  # the newest head a checkpoint was tried for (written or failed)
        self._sealed = 0
        self.last_checkpoint: Checkpoint | None = None
        self.engine: Engine | None = None  # the database whose sessions it seals (install)
        self._sealer: Sealer | None = None
        if seal_interval > 0:
            self._sealer = Sealer(
                self._seal,
                interval=seal_interval,
                behind=lambda: self._committed[0] > self._attempted,
                flush=self.flush,
                after_fork=self._after_fork,
            )

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> AuditLog:
        """Load (or create) the signing key and trust the public keys kept beside it."""
        key_file = settings.audit_signing_key_file
        checkpoint_file = settings.audit_checkpoint_file
        if key_file is None or checkpoint_file is None:
            msg = "KLAREMONT_AUDIT_SIGNING_KEY_FILE and _CHECKPOINT_FILE must be set"
            raise ConfigurationError(msg)
        signer = CheckpointSigner(load_or_create_signing_key(key_file))
        return cls(
            clock=clock,
            signer=signer,
            checkpoint_file=checkpoint_file,
            trusted_keys=load_trusted_keys(key_file),
            seal_interval=settings.audit_seal_interval_ms / 1000,
        )

    # ------------------------------------------------------------------ appending

    def install(self, sessions: sessionmaker[Session]) -> None:
        """Seal each committed transaction that appended events with a signed checkpoint."""
        if event.contains(sessions, "after_commit", self._after_commit):
            return
        self.engine = sessions.kw.get("bind")
        event.listen(sessions, "before_commit", self._before_commit)
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", self._after_rollback)
        event.listen(sessions, "after_transaction_end", self._after_transaction_end)

    def record(
        self,
        session: Session,
        *,
        action: ActionTag,
        outcome: Outcome = Outcome.SUCCESS,
        actor: Actor,
        origin: str | None = None,
        resource: str | None = None,
        purpose: str | None = None,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> AuditEvent:
        """Append one event in ``session``'s transaction: written at once, committed with it.

        The row is inserted straight away on the session's connection (so it is in the
        database before the caller's change commits); the returned event is a detached
        copy of it, not added to the session. Card data in the details and the text
        fields is masked first (the one card detector), so it is never hashed or stored.
        Raises ``ValueError`` for an unknown action, a malformed field, or details keyed
        by the name of a secret (the message names the key, never the value).
        """
        tag = action_tag(action)
        result = Outcome(outcome)
        actor_type = ActorType(actor.type)
        actor_id = clean("actor id", actor.id, models.ACTOR_ID_MAX, required=True)
        if details:
            details = redact_details(details)
        check_details(details)
        values: dict[str, Any] = {
            "occurred_at": format_timestamp(self.clock.now()),
            "actor_type": actor_type.value,
            "actor_id": actor_id or "",
            "action": tag.value,
            "outcome": result.value,
            "origin": normalise_origin(origin),
            "resource": clean("resource", _masked(resource), models.RESOURCE_MAX),
            "purpose": clean("purpose", _masked(purpose), models.PURPOSE_MAX),
            "request_id": clean("request id", _masked(request_id), models.REQUEST_ID_MAX),
            "details": canonical_json(details),
        }
        conn = session.connection(bind_arguments=_BIND)
        info = session.info
        if conn.dialect.name == "postgresql":
            # One statement locks the head, inserts the event (hashed by the database) and
            # moves the head; each append reads the head as it stands, nothing is cached.
            row = appender.append_in_database(conn, values)
            if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                self._head_committed((row["seq"], row["hash"]))  # a read-only unit: already durable
                return AuditEvent.stored(row)
        else:
            # The head stays locked until the transaction ends, so a later append in the
            # same (innermost) transaction reuses it; a savepoint that ends is another
            # transaction, so after a rolled-back savepoint the head is read again.
            transaction = session.get_nested_transaction() or session.get_transaction()
            locked = info.get(_LOCKED)
            held = locked[1] if locked is not None and locked[0] is transaction else None
            row = appender.append_locked(conn, values, held)
            info[_LOCKED] = (transaction, (row["seq"], row["hash"]))
        info[_PENDING] = True
        info[_HEAD] = (row["seq"], row["hash"])
        return AuditEvent.stored(row)

    # ------------------------------------------------------------------ sealing

    def _before_commit(self, session: Session) -> None:
        if session.info.get(_PENDING) and _HEAD not in session.info:
            # a savepoint rolled back after events were appended: ask the database
            conn = session.connection(bind_arguments=_BIND)
            head = appender.read_head(conn)
            if head is not None:
                session.info[_HEAD] = head

    def _after_commit(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint was released; the outer transaction may still roll back
        info = session.info
        info.pop(_PENDING, None)
        info.pop(_LOCKED, None)
        head = info.pop(_HEAD, None)
        if head is not None:
            self._head_committed(head)

    def _head_committed(self, head: tuple[int, str]) -> None:
        """``head`` is durable: seal it now, or let the sealer thread do so soon."""
        if self._sealer is None:
            self._seal(head)
        else:
            self._sealer.check_pid()
            self._note(head)
            self._sealer.request()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(_HEAD, None)  # after a savepoint rollback, re-read at commit
        if not session.in_nested_transaction():
            session.info.pop(_PENDING, None)
            session.info.pop(_LOCKED, None)

    @staticmethod
    def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # also after close() without a rollback event
            for key in (_PENDING, _HEAD, _LOCKED):
                session.info.pop(key, None)

    def _note(self, head: tuple[int, str]) -> None:
        with self._state_lock:
            if head[0] > self._committed[0]:
                self._committed = head

    def _seal(self, head: tuple[int, str] | None = None) -> None:
        """Write a checkpoint for the newest committed head (concurrent commits share one)."""
        if head is not None:
            self._note(head)
        with self._write_lock:
            self._seal_newest()

    def _seal_newest(self) -> None:
        """With the write lock held: seal the newest committed head unless already tried."""
        with self._state_lock:
            seq, digest = self._committed
        if seq <= self._attempted:
            return
        self._attempted = seq
        try:
            self._write(seq, digest)
        except OSError as exc:
            # The events are committed; verify will show them as an unsealed tail.
            logger.error("audit checkpoint for event %d not written: %s", seq, exc)  # noqa: TRY400 - no stack traces in logs

    def _write(self, seq: int, digest: str) -> Checkpoint:
        checkpoint = self.signer.sign(seq, digest, format_timestamp(self.clock.now()))
        append_checkpoint(self.checkpoint_file, checkpoint)
        self._sealed = max(self._sealed, seq)
        self._attempted = max(self._attempted, seq)
        self.last_checkpoint = checkpoint
        if self._sealer is not None:
            self._sealer.mark_written()
        return checkpoint

    def flush(self, timeout: float | None = None) -> bool:
        """Seal every head committed so far, now; ``True`` when all of them are sealed.

        Waits (up to ``timeout`` seconds) for a write in progress. A head whose checkpoint
        failed (logged) is not retried: ``False``; verify shows an unsealed tail.
        """
        with self._state_lock:
            target = self._committed[0]
        if target <= self._sealed:
            return True
        if not self._write_lock.acquire(timeout=-1 if timeout is None else timeout):
            return False  # a write is still in progress
        try:
            self._seal_newest()  # or nothing, when the sealer wrote (or tried) it meanwhile
        finally:
            self._write_lock.release()
        return self._sealed >= target

    def close(self, timeout: float | None = 10.0) -> bool:
        """Stop the background sealer and seal what is left (a later commit restarts it)."""
        if self._sealer is None:
            return self.flush(timeout)
        return self._sealer.close(timeout)

    def restart(self) -> None:
        """Forget the chain state held in memory: the database was replaced (a restore)."""
        self.close()
        with self._write_lock, self._state_lock:
            self._committed, self._attempted, self._sealed = (0, GENESIS_HASH), 0, 0
            self.last_checkpoint = None

    def _after_fork(self) -> None:
        """In a forked child: fresh locks; the parent seals what it committed."""
        self._state_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._attempted = max(self._attempted, self._committed[0])

    def checkpoint(self, engine: Engine) -> Checkpoint | None:
        """Seal what is pending, then sign the last stored event now (``None``: empty log)."""
        self.flush()
        with engine.connect() as conn:
            last = conn.exec_driver_sql(appender.statements(conn.dialect.name).last_event).first()
            conn.rollback()
        if last is None:
            return None
        with self._write_lock:
            return self._write(int(last[0]), str(last[1]))

    # ------------------------------------------------------------------ checking

    def verify(
        self,
        engine: Engine,
        *,
        progress: Progress | None = None,
        workers: int | None = None,
        all_signatures: bool = False,
        chunk_size: int | None = None,
    ) -> VerificationReport:
        """Check archive, chain and checkpoints; report the first broken event and its kind.

        ``progress(done, total)`` is called as ranges complete. ``workers`` defaults to one
        process per core for large logs; see :func:`klaremont.audit.verify.verify_log`.
        Everything committed in this process is sealed first (:meth:`flush`).
        """
        self.flush()
        return verify_log(
            engine,
            self.checkpoint_file,
            self.trusted_keys,
            progress=progress,
            workers=workers,
            all_signatures=all_signatures,
            chunk_size=chunk_size,
        )

    def read(
        self,
        session: Session,
        *,
        reader: Actor,
        origin: str | None = None,
        request_id: str | None = None,
        action: ActionTag | None = None,
        actor: Actor | None = None,
        actor_id: str | None = None,
        outcome: Outcome | None = None,
        resource: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> list[AuditEvent]:
        """Events matching the filters; the read itself is recorded as ``audit.read``."""
        if not 1 <= limit <= READ_LIMIT_MAX:
            msg = f"limit must be between 1 and {READ_LIMIT_MAX}"
            raise ValueError(msg)
        wanted = EventFilter(
            action=action,
            actor=actor,
            actor_id=actor_id,
            outcome=outcome,
            resource=resource,
            since=since,
            until=until,
        )
        conditions, filters = wanted.conditions()
        query = select(AuditEvent).where(*conditions)
        if after_seq is not None:
            cmp = AuditEvent.seq < after_seq if newest_first else AuditEvent.seq > after_seq
            query = query.where(cmp)
            filters["after_seq"] = after_seq
        order = AuditEvent.seq.desc() if newest_first else AuditEvent.seq.asc()
        events = list(session.scalars(query.order_by(order).limit(limit)))
        self.record(
            session,
            action=AuditAction.AUDIT_READ,
            actor=reader,
            origin=origin,
            request_id=request_id,
            resource="audit_events",
            details={
                "filters": filters,
                "limit": limit,
                "returned": len(events),
                "seqs": [events[0].seq, events[-1].seq] if events else [],
            },
        )
        return events


def _masked(text: str | None) -> str | None:
    """``text`` with card data masked (the one card detector); ``None`` stays ``None``."""
    return None if text is None else redact(text)
