"""The composition root: builds every long-lived part once, for the web app, the CLI and tests.

A :class:`Platform` owns the engines, the key ring and keystore, the audit log, the policy
and the clock. Work happens inside :meth:`Platform.unit_of_work`, which opens one
transaction, binds the crypto context and the acting party, and commits at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from klaremont.audit.events import SYSTEM_ACTOR, Actor, AuditAction, Outcome
from klaremont.audit.log import AuditLog
from klaremont.clock import Clock, SystemClock
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.keyring import KeyRing
from klaremont.crypto.keystore import Keystore
from klaremont.db import migrate
from klaremont.db.engine import make_engine
from klaremont.policy.loader import load_policy

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

    @contextmanager
    def unit_of_work(
        self,
        *,
        actor: Actor = SYSTEM_ACTOR,
        origin: str | None = None,
        request_id: str | None = None,
    ) -> Iterator[UnitOfWork]:
        """One transaction: commits when the block ends normally, rolls back when it raises."""
        session = self.sessions()
        crypto = CryptoContext(self.keystore)
        session.info["crypto"] = crypto
        uow = UnitOfWork(
            session=session,
            platform=self,
            crypto=crypto,
            actor=actor,
            origin=origin,
            request_id=request_id,
        )
        try:
            yield uow
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self.keystore_engine.dispose()


@dataclass
class UnitOfWork:
    """What a service needs for one piece of work: the session, who acts, and the shared parts."""

    session: Session
    platform: Platform
    crypto: CryptoContext
    actor: Actor
    origin: str | None = None
    request_id: str | None = None

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
        action: AuditAction,
        outcome: Outcome = Outcome.SUCCESS,
        *,
        resource: str | None = None,
        purpose: str | None = None,
        details: Mapping[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> AuditEvent:
        """Append an audit event inside this unit of work's transaction."""
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
