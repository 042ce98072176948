"""The composition root: builds every long-lived part once, for the web app, the CLI and tests.

A :class:`Platform` owns the engines, the key ring and keystore, the audit log, the policy
and the clock. Work happens inside :meth:`Platform.unit_of_work`, which opens one
transaction, binds the crypto context and the acting party, and commits at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from klaremont.audit.events import SYSTEM_ACTOR, ActionTag, Actor, Outcome
from klaremont.audit.log import AuditLog
from klaremont.clock import Clock, SystemClock
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.keyring import KeyRing
from klaremont.crypto.keystore import Keystore
from klaremont.db import migrate
from klaremont.db.engine import READ_ONLY, is_sqlite, make_engine
from klaremont.policy.loader import load_policy

T = TypeVar("T")
_FLUSHED = "klaremont.flushed"  # session.info: this transaction flushed ORM changes
_FINISHED = "klaremont.finished"  # session.info: the unit committed its change (finish)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from klaremont.audit.models import AuditEvent
    from klaremont.config import Settings
    from klaremont.policy.model import PolicyFile


@dataclass
class Platform:
    """Every shared part of a running Klaremont."""

    settings: Settings
    clock: Clock
    policy: PolicyFile
    engine: Engine
    keystore_engine: Engine
    sessions: sessionmaker[Session]
    keyring: KeyRing
    keystore: Keystore
    audit: AuditLog
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None) -> Platform:
        """Build from settings; refuses unsafe production settings first."""
        settings.check()
        clock = clock or SystemClock()
        policy = load_policy(settings.policy_file)
        engine = make_engine(settings.database_url)
        keystore_engine = make_engine(settings.keystore_url)
        keyring = KeyRing.from_settings(settings)
        keystore = Keystore(keystore_engine, keyring, clock)
        audit = AuditLog.from_settings(settings, clock)
        sessions = sessionmaker(engine, expire_on_commit=False)
        _track_flushes(sessions)
        audit.install(sessions)
        return cls(
            settings=settings,
            clock=clock,
            policy=policy,
            engine=engine,
            keystore_engine=keystore_engine,
            sessions=sessions,
            keyring=keyring,
            keystore=keystore,
            audit=audit,
        )

    def upgrade(self) -> None:
        """Apply every migration to the data store and the keystore."""
        migrate.upgrade(self.keystore_engine, migrate.KEYSTORE)
        migrate.upgrade(self.engine, migrate.DATA)

    def open_unit_of_work(
        self,
        *,
        actor: Actor = SYSTEM_ACTOR,
        origin: str | None = None,
        request_id: str | None = None,
    ) -> UnitOfWork:
        """A new unit of work; no connection is taken until its first statement.

        The caller must end it with :meth:`UnitOfWork.complete` or :meth:`UnitOfWork.abort`
        (:meth:`unit_of_work` does that for a ``with`` block).
        """
        session = self.sessions()
        crypto = CryptoContext(self.keystore)
        session.info["crypto"] = crypto
        return UnitOfWork(
            session=session,
            platform=self,
            crypto=crypto,
            actor=actor,
            origin=origin,
            request_id=request_id,
        )

    @contextmanager
    def unit_of_work(
        self,
        *,
        actor: Actor = SYSTEM_ACTOR,
        origin: str | None = None,
        request_id: str | None = None,
    ) -> Iterator[UnitOfWork]:
        """One transaction: commits when the block ends normally, rolls back when it raises."""
        uow = self.open_unit_of_work(actor=actor, origin=origin, request_id=request_id)
        try:
            yield uow
        except BaseException:
            uow.abort()
            raise
        uow.complete()

    def dispose(self) -> None:
        """Seal the audit log's pending checkpoints and close every pooled connection."""
        self.audit.close()
        self.engine.dispose()
        self.keystore_engine.dispose()


def _track_flushes(sessions: sessionmaker[Session]) -> None:
    """Mark a session whose open transaction flushed ORM changes (see ``unlocked``)."""

    @event.listens_for(sessions, "after_flush")
    def _flushed(session: Session, _context: Any) -> None:
        session.info[_FLUSHED] = True

    @event.listens_for(sessions, "before_flush")
    def _not_after_finish(session: Session, _context: Any, _instances: Any) -> None:
        if session.info.get(_FINISHED) and (session.new or session.dirty or session.deleted):
            raise ReadOnlyViolation  # a change after UnitOfWork.finish: see there

    @event.listens_for(sessions, "after_transaction_end")
    def _ended(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop(_FLUSHED, None)


class ReadOnlyViolation(RuntimeError):
    """A read-only unit of work changed ORM objects (a programming error; nothing is saved)."""

    def __init__(self) -> None:
        super().__init__("a read-only unit of work changed data; nothing was saved")


@dataclass
class UnitOfWork:
    """What a service needs for one piece of work: the session, who acts, and the shared parts."""

    session: Session
    platform: Platform
    crypto: CryptoContext
    actor: Actor
    origin: str | None = None
    request_id: str | None = None
    # Checks that must pass before the unit does any work, run by :meth:`run_checks` in the
    # thread that then does it (the web layer defers a route's access check here).
    checks: list[Callable[[], None]] = field(default_factory=list)

    read_only: bool = False

    def run_checks(self) -> None:
        """Run (and forget) the deferred checks; the first failing one raises."""
        while self.checks:
            self.checks.pop(0)()

    def begin_read_only(self) -> None:
        """Make this a read: each statement commits on its own, and data may not change.

        For work whose only writes are single statements that stand alone -- audit events
        (one statement each on a server database) and a credential's last-use time. On a
        server database the statements then run in autocommit: no BEGIN and COMMIT, two of
        the four or five round trips a read makes. ORM changes are not flushed and are
        refused at :meth:`ensure_unchanged`, so a service that changes data cannot run
        here by mistake and land half its change. Call it before the unit's first statement.
        """
        self.read_only = True
        self.session.autoflush = False
        if not is_sqlite(self.platform.engine):
            self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    def finish(self) -> None:
        """Commit the unit's change now; what follows only reads what was saved.

        For a synchronous route that answers after its change is durable: building the
        answer may still read (a name to unseal, a role to list), and on SQLite those reads
        take a snapshot (``BEGIN`` deferred) instead of queueing for the write lock a second
        time. An ORM change after this point is a programming error
        (:class:`ReadOnlyViolation`; commit with :meth:`commit_step` to go on changing).
        An audit event (a read that is itself audited) takes the write lock again.
        """
        self.session.commit()
        self.session.info[_FINISHED] = True
        if is_sqlite(self.platform.engine):
            self.session.bind = self.platform.engine.execution_options(**{READ_ONLY: True})

    def _resume_writing(self) -> None:
        """After :meth:`finish`: end the snapshot and write again (an audited read)."""
        if self.session.info.pop(_FINISHED, None):
            self.session.commit()
            self.session.bind = self.platform.engine

    def commit_step(self) -> None:
        """Commit what the unit did so far, as a step complete on its own.

        For a request's authentication (a dependency) before its route runs in another
        thread-pool job: no lock (on SQLite, the one write lock) is held while the request
        waits for that job. The route's own statements then open a new transaction.
        """
        if self.session.in_transaction():
            self.session.commit()

    def unlocked(self, work: Callable[[], T]) -> T:
        """Run slow work -- Argon2, key generation and wrapping, mail rendering -- holding
        no database lock, and return its result.

        The open transaction ends first: what the unit did so far is committed. On SQLite
        every transaction holds the one write lock (``BEGIN IMMEDIATE``), so work done
        inside it would queue every other request of every process behind it; on
        PostgreSQL it would hold the row locks taken so far. The next statement opens a
        new transaction. What was done before must therefore stand on its own (reads, a
        claimed attempt, a credential's last use): compute first, then change. A unit
        that already changed ORM objects (flushed or not) would be saved half-done, so it
        keeps its transaction and the work runs in it.
        """
        session = self.session
        if session.new or session.dirty or session.deleted or session.info.get(_FLUSHED):
            # The unit has changed data already: committing now would save half of it, so
            # the work runs inside its transaction (correct, but it holds the lock).
            return work()
        if session.in_transaction():
            session.commit()
        return work()

    def ensure_unchanged(self) -> None:
        """In a read-only unit, refuse ORM changes before anything is flushed."""
        session = self.session
        if self.read_only and (session.new or session.dirty or session.deleted):
            raise ReadOnlyViolation

    def keep_only_refusal(self, record: Callable[[], object]) -> None:
        """Discard this unit's changes, then write and commit the refusal ``record`` makes.

        The one way to keep a refusal's audit event when the refused work is thrown away
        (a purpose refused, card data refused, a route denied, a duplicate request): the
        refused request's work must not land, but its refusal must outlive the error that
        ends the request. The session's objects are detached first (the work is over), so
        the rollback expires nothing; then the refusal is written in a transaction of its own.
        """
        self.session.expunge_all()
        self.session.rollback()
        record()
        self.session.commit()

    @property
    def pending(self) -> bool:
        """True while a transaction is open (a statement ran, or an object was added)."""
        return self.session.in_transaction()

    def complete(self) -> None:
        """Commit what is pending and release the session."""
        try:
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        finally:
            self.session.close()

    def abort(self) -> None:
        """Roll back what is pending and release the session."""
        try:
            self.session.rollback()
        finally:
            self.session.close()

    @property
    def clock(self) -> Clock:
        """The platform clock."""
        return self.platform.clock

    @property
    def policy(self) -> PolicyFile:
        """The loaded policy."""
        return self.platform.policy

    def audit(
        self,
        action: ActionTag,
        outcome: Outcome = Outcome.SUCCESS,
        *,
        resource: str | None = None,
        purpose: str | None = None,
        details: Mapping[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> AuditEvent:
        """Append an audit event inside this unit of work's transaction."""
        self._resume_writing()
        return self.platform.audit.record(
            self.session,
            action=action,
            outcome=outcome,
            actor=actor or self.actor,
            origin=self.origin,
            resource=resource,
            purpose=purpose,
            details=details,
            request_id=self.request_id,
        )
