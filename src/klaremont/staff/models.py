"""Staff tables: accounts, roles, password history, sessions, API tokens, MFA, grants, reviews.

Every staff member is a data subject with their own ``subject_id``: their name and work
e-mail are sealed (AES-GCM under their own data key). The username stays plaintext so a
login can find the account, and ``username_key`` (the lower-cased name) carries the
unique index that makes usernames unique regardless of case (IS-PW-UNIQUE). The work
e-mail's blind index is unique too: one person, one account (IS-USE-CRED).

Secrets are never stored: passwords as Argon2id hashes, session keys, API tokens and
recovery codes as SHA-256 digests, TOTP secrets sealed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.crypto.fields import SealedMixin, sealed
from klaremont.db.base import Base, IdMixin, new_id
from klaremont.db.tags import RIGHTS, Handling

USERNAME_MAX = 64
DIGEST_HEX = 64
REASON_MAX = 200
JOB_TITLE_MAX = 100
SENIORITY_RANGE = range(1, 11)  # 1 the most junior grade, 10 the most senior


class AccountStatus(StrEnum):
    """Whether an account may sign in."""

    ACTIVE = "active"
    DISABLED = "disabled"
    OFFBOARDED = "offboarded"


class AccountKind(StrEnum):
    """An ordinary staff account, or a time-boxed remote maintenance account (IS-AC-MAINT)."""

    REGULAR = "regular"
    MAINTENANCE = "maintenance"


def _in(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class StaffAccount(SealedMixin, IdMixin, Base):
    """One person's account (one person per account, IS-USE-CRED)."""

    __tablename__ = "staff_accounts"
    __table_args__ = (
        CheckConstraint("username_key = lower(username)", name="username_key_is_lower"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
        CheckConstraint(_in("status", AccountStatus), name="status_known"),
        CheckConstraint(_in("kind", AccountKind), name="kind_known"),
        CheckConstraint("line_manager_id IS NULL OR line_manager_id <> id", name="not_own_manager"),
        UniqueConstraint("work_email_bidx"),
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_id)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    username_key: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    full_name = sealed()
    work_email = sealed(index="email")
    job_role: Mapped[str] = mapped_column(String(32))
    # what the person is called at work ("Senior Engineer") and their grade, 1 (most junior)
    # to 10 (most senior): who stands in for an incident team's seat (SP-IRT-MEMBERS)
    job_title: Mapped[str | None] = mapped_column(String(JOB_TITLE_MAX))
    seniority: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default=AccountKind.REGULAR.value)
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.ACTIVE.value)
    status_reason: Mapped[str | None] = mapped_column(String(64))
    status_changed_at: Mapped[datetime | None]
    line_manager_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime]
    password_must_change: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]
    lock_expires_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime | None]
    vetted_on: Mapped[date | None] = mapped_column(Date)
    training_completed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"StaffAccount({self.id}, {self.username!r}, {self.status})"


class StaffRole(Base):
    """One role held by one account."""

    __tablename__ = "staff_roles"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_at: Mapped[datetime]
    granted_by: Mapped[str] = mapped_column(String(128))


class PasswordHistory(IdMixin, Base):
    """A password hash the account used before (IS-PW-STRONG: not reused).

    ``generation`` numbers an account's old passwords 1, 2, 3 ... so "the last N" does not
    depend on timestamps, which can be equal.
    """

    __tablename__ = "staff_password_history"
    __table_args__ = (UniqueConstraint("account_id", "generation"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    generation: Mapped[int] = mapped_column(Integer)
    password_hash: Mapped[str] = mapped_column(String(255))
    retired_at: Mapped[datetime]


class StaffSession(IdMixin, Base):
    """A console session; only the SHA-256 of its key is stored."""

    __tablename__ = "staff_sessions"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(DIGEST_HEX), unique=True)
    created_at: Mapped[datetime]
    authenticated_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa: Mapped[bool] = mapped_column(Boolean, default=False)
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str | None] = mapped_column(String(64))


class ApiToken(IdMixin, Base):
    """A revocable, expiring bearer token for scripts; only its SHA-256 is stored."""

    __tablename__ = "staff_api_tokens"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(DIGEST_HEX), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    mfa: Mapped[bool] = mapped_column(Boolean, default=False)
    # the token's scopes (klaremont.staff.token_scopes), comma-separated names
    scopes: Mapped[str] = mapped_column(String(32), server_default="read,write")


class StaffMfa(SealedMixin, IdMixin, Base):
    """A TOTP enrolment; the secret is sealed under the staff member's data key."""

    __tablename__ = "staff_mfa"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), unique=True
    )
    subject_id: Mapped[uuid.UUID]
    totp_secret = sealed()
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(IdMixin, Base):
    """A single-use MFA recovery code; only its SHA-256 is stored."""

    __tablename__ = "staff_recovery_codes"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(DIGEST_HEX), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RemoteGrant(IdMixin, Base):
    """Permission to work from outside the office network (IS-RA-2FA).

    Active only once both the line manager and technical operations approved it: two
    different people, neither of them the grantee (enforced by the service and here).
    """

    __tablename__ = "staff_remote_grants"
    __table_args__ = (
        CheckConstraint(
            "manager_approved_by IS NULL OR manager_approved_by <> account_id",
            name="manager_not_grantee",
        ),
        CheckConstraint(
            "techops_approved_by IS NULL OR techops_approved_by <> account_id",
            name="techops_not_grantee",
        ),
        CheckConstraint(
            "manager_approved_by IS NULL OR techops_approved_by IS NULL "
            "OR manager_approved_by <> techops_approved_by",
            name="two_different_approvers",
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    requested_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    manager_approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_accounts.id"))
    manager_approved_at: Mapped[datetime | None]
    techops_approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_accounts.id"))
    techops_approved_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class AccessReview(IdMixin, Base):
    """A reviewer's sign-off of an access review report (IS-AC-REVIEW)."""

    __tablename__ = "staff_access_reviews"

    reviewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_accounts.id"))
    signed_at: Mapped[datetime]
    accounts_reviewed: Mapped[int] = mapped_column(Integer)
    accounts_flagged: Mapped[int] = mapped_column(Integer)
    report_sha256: Mapped[str] = mapped_column(String(DIGEST_HEX))
    notes: Mapped[str | None] = mapped_column(Text)


class LoginNameThrottle(Base):
    """Failed logins of a name that is no active account, counted like a real account's.

    ``key_hash`` is an HMAC of the lower-cased name under the platform secret (the name
    itself is not stored). A name that is not an active account locks after the same
    number of failures for the same time as a real one, so the retry time a failed login
    shows cannot tell an unknown name from a real one (IS-PW-LOCK3).
    """

    __tablename__ = "staff_login_name_throttle"
    __table_args__ = ({"info": {RIGHTS: Handling.IGNORE.value}},)

    key_hash: Mapped[str] = mapped_column(String(DIGEST_HEX), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class LockoutRecord(IdMixin, Base):
    """One lock, of a real account or of an unknown name: what a burst alert counts."""

    __tablename__ = "staff_lockouts"

    locked_at: Mapped[datetime] = mapped_column(index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE")
    )


class LockoutAlert(IdMixin, Base):
    """A burst-of-lockouts alert raised to technical operations (one per alert window)."""

    __tablename__ = "staff_lockout_alerts"

    raised_at: Mapped[datetime] = mapped_column(index=True)
    lockouts: Mapped[int] = mapped_column(Integer)
    window_minutes: Mapped[int] = mapped_column(Integer)
