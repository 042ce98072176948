"""Timed lockout that cannot be used to enumerate names, and the burst alert (IS-PW-LOCK3).

A staff account locks after ``lockout.threshold`` consecutive failures and the lock ends
by itself after ``lockout.lockout_minutes`` (PCI DSS 8.3.4: at least 30 minutes); an
administrator may still unlock it early. So knowing a username is enough to delay its
owner for half an hour, never to keep them out.

Every failed login tells the caller when they may try again, and that answer must not
reveal whether the name is an account. So a name that is no active account (unknown,
disabled, offboarded, expired) is counted like a real one: its failures are kept in
``staff_login_name_throttle`` under an HMAC of the name, it "locks" after the same number
of failures for the same time, and :func:`retry_after` gives it the same answer a real
account would get -- the end of its lock when locked, otherwise now plus the lock period
(the earliest time a lock starting now would end). Both paths cost one Argon2
verification and one counter write.

Every lock, real or not, is written to ``staff_lockouts``; when ``alert_lockouts`` of them
fall within ``alert_window_minutes`` (a guessing or denial-of-service campaign) technical
operations are alerted: an audit event addressed to the role and a message in the mail
outbox for each active member of it, at most once per window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, cast

from sqlalchemy import and_, case, delete, func, literal, null, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from klaremont.audit.events import Actor, ActorType
from klaremont.crypto.keyed import keyed_digest
from klaremont.db.base import UTCDateTime
from klaremont.db.subjects import Subject
from klaremont.events import publish
from klaremont.mail import service as mail_service
from klaremont.mail.templates import Rendered
from klaremont.staff.announcements import LockoutBurst
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.models import (
    AccountStatus,
    LockoutAlert,
    LockoutRecord,
    LoginNameThrottle,
    StaffAccount,
    StaffRole,
)
from klaremont.staff.permissions import Role

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from sqlalchemy import Table

    from klaremont.platform import UnitOfWork

_T = cast("Table", LoginNameThrottle.__table__)
_NAME_LABEL = "staff-login-name"
ALERT_ROLE = Role.TECHNICAL_OPERATIONS
_SYSTEM = Actor(ActorType.SYSTEM, "lockout-monitor")


def lock_period(uow: UnitOfWork) -> timedelta:
    """How long a lock lasts (policy ``lockout.lockout_minutes``)."""
    return timedelta(minutes=uow.policy.lockout.lockout_minutes)


def retry_after(uow: UnitOfWork, locked_until: datetime | None) -> datetime:
    """When the caller may try again: the lock's end, or now plus the lock period.

    The second answer is given to every name that is not locked, so an answer never tells
    a locked account from an open one, nor a real name from an unknown one.
    """
    now = uow.clock.now()
    if locked_until is not None and locked_until > now:
        return locked_until
    return now + lock_period(uow)


def account_retry_after(uow: UnitOfWork, account: StaffAccount) -> datetime:
    """The retry time of a real account after a failed attempt."""
    if account.locked_at is None:
        return retry_after(uow, None)
    if account.lock_expires_at is None:  # cannot happen after the migration that timed locks
        return retry_after(uow, None)
    return retry_after(uow, account.lock_expires_at)


def name_key(uow: UnitOfWork, username: str) -> str:
    """The counter key of a name: an HMAC under the platform secret (the name is not kept)."""
    secret = uow.platform.settings.secret_key.get_secret_value()
    return keyed_digest(secret, _NAME_LABEL, username.strip().lower())


def count_name_failure(uow: UnitOfWork, username: str) -> datetime:
    """Count a failure of a name that is no active account; returns its retry time.

    Written as one upsert, like the real account's slot claim: the failure count restarts
    once a lock ran out, and the request that reaches the threshold starts the lock.
    """
    now = uow.clock.now()
    threshold = uow.policy.lockout.threshold
    until = now + lock_period(uow)
    stamp = literal(now, UTCDateTime())
    new_lock = literal(until, UTCDateTime())
    ran_out = _T.c.locked_until <= stamp
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(_T)
        .values(
            key_hash=name_key(uow, username),
            failures=1,
            last_failed_at=now,
            locked_until=until if threshold <= 1 else None,
        )
        .on_conflict_do_update(
            index_elements=[_T.c.key_hash],
            set_={
                # a locked row keeps counting, so only the request that locks it sees
                # exactly ``threshold``
                "failures": case((ran_out, 1), else_=_T.c.failures + 1),
                "locked_until": case(
                    (ran_out, new_lock if threshold <= 1 else null()),
                    (
                        and_(_T.c.locked_until.is_(None), _T.c.failures + 1 >= threshold),
                        new_lock,
                    ),
                    else_=_T.c.locked_until,
                ),
                "last_failed_at": stamp,
            },
        )
        .returning(_T.c.failures, _T.c.locked_until)
    )
    row = uow.session.execute(statement).one()
    locked_until: datetime | None = row[1]
    if locked_until is not None and int(row[0]) == threshold:
        audit_staff(
            uow,
            StaffEvent.LOCKED,
            None,
            resource="staff-login",
            details={"name_known": False, "failures": int(row[0]), "threshold": threshold},
        )
        record_lock(uow, None)
    return retry_after(uow, locked_until)


def record_lock(uow: UnitOfWork, account_id: uuid.UUID | None) -> None:
    """Log one lock and alert technical operations when the locks make a burst."""
    now = uow.clock.now()
    uow.session.add(LockoutRecord(locked_at=now, account_id=account_id))
    uow.session.flush()
    policy = uow.policy.lockout
    since = now - timedelta(minutes=policy.alert_window_minutes)
    recent = uow.session.scalar(
        select(func.count()).select_from(LockoutRecord).where(LockoutRecord.locked_at > since)
    )
    if int(recent or 0) < policy.alert_lockouts:
        return
    already = uow.session.scalar(
        select(LockoutAlert.id).where(LockoutAlert.raised_at > since).limit(1)
    )
    if already is None:
        raise_burst_alert(uow, int(recent or 0))


@dataclass(frozen=True)
class LockoutBurstMail:
    """Technical operations: many accounts locked in a short time (no names, no addresses)."""

    name: ClassVar[str] = "lockout_burst"
    lockouts: int
    window_minutes: int

    def render(self, public_url: str) -> Rendered:  # noqa: ARG002 - the alert carries no link
        """The message."""
        body = (
            f"Hello,\n\n{self.lockouts} staff sign-in locks happened within "
            f"{self.window_minutes} minutes. This can be someone guessing passwords or "
            "trying to lock staff out. Each lock ends by itself; the audit log (action "
            "auth.lockout) shows the attempts and where they came from.\n\nKlaremont"
        )
        return Rendered(self.name, "Alert: a burst of staff account lockouts", body)


def raise_burst_alert(uow: UnitOfWork, lockouts: int) -> int:
    """Record the alert, audit it for the role and queue a message to each member.

    Returns how many messages were queued.
    """
    minutes = uow.policy.lockout.alert_window_minutes
    uow.session.add(
        LockoutAlert(raised_at=uow.clock.now(), lockouts=lockouts, window_minutes=minutes)
    )
    recipients = uow.session.scalars(
        select(StaffAccount)
        .join(StaffRole, StaffRole.account_id == StaffAccount.id)
        .where(
            StaffRole.role == ALERT_ROLE.value,
            StaffAccount.status == AccountStatus.ACTIVE.value,
        )
    ).all()
    mail = LockoutBurstMail(lockouts=lockouts, window_minutes=minutes)
    queued = 0
    for account in recipients:
        address = account.work_email
        if not address:
            continue
        _ensure_subject(uow, account)
        mail_service.enqueue(uow, subject_id=account.subject_id, to_address=address, mail=mail)
        queued += 1
    audit_staff(
        uow,
        StaffEvent.LOCKOUT_BURST,
        None,
        resource=f"role:{ALERT_ROLE.value}",
        actor=_SYSTEM,
        details={
            "routed_to": ALERT_ROLE.value,
            "lockouts": lockouts,
            "window_minutes": minutes,
            "messages": queued,
        },
    )
    publish(uow, LockoutBurst(lockouts=lockouts, window_minutes=minutes))
    return queued


def _ensure_subject(uow: UnitOfWork, account: StaffAccount) -> None:
    """The outbox addresses data subjects: a staff member is one, registered on first mail."""
    if uow.session.get(Subject, account.subject_id) is None:
        uow.session.add(Subject(id=account.subject_id, created_at=uow.clock.now()))
        uow.session.flush()


def prune(uow: UnitOfWork) -> int:
    """Delete spent rows: name counters whose lock ran out (they would start afresh anyway)
    and lock log rows older than a day (the burst check looks back at most a day; each
    lock stays in the audit log). Returns how many rows went.

    Name counters below the threshold are kept, like a real account's: dropping them after
    a quiet spell would let a patient caller tell an unknown name from a real one.
    """
    now = uow.clock.now()
    counters = uow.session.execute(delete(_T).where(_T.c.locked_until <= now))
    old_locks = uow.session.execute(
        delete(LockoutRecord)
        .where(LockoutRecord.locked_at < now - timedelta(days=1))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(counters, "rowcount", 0) or 0) + int(getattr(old_locks, "rowcount", 0) or 0)


def locked_recently(uow: UnitOfWork, within: timedelta) -> int:
    """How many accounts were locked within ``within`` and are locked still (a count only)."""
    since = uow.clock.now() - within
    found = uow.session.scalar(
        select(func.count())
        .select_from(StaffAccount)
        .where(StaffAccount.locked_at.is_not(None), StaffAccount.locked_at > since)
    )
    return int(found or 0)
