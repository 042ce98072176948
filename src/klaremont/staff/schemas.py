"""Request and response shapes of the staff and auth APIs.

Secrets in requests are ``SecretStr`` so they never show in a repr, a log or a
validation error; responses carry a secret only where it is shown once on purpose (a
new API token, a one-time password, TOTP enrolment, recovery codes).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictInt, field_validator

from klaremont.plausible import Day, Moment
from klaremont.staff.permissions import Permission, Role
from klaremont.staff.service_review import ReviewRow
from klaremont.staff.token_scopes import Scope, decode


class Schema(BaseModel):
    """Base of every staff schema: unknown fields refused."""

    model_config = ConfigDict(extra="forbid")


class LoginRequest(Schema):
    """Username and password, and the authenticator (or recovery) code when needed."""

    username: str = Field(min_length=1, max_length=128)
    password: SecretStr = Field(min_length=1, max_length=1024)
    code: SecretStr | None = Field(default=None, max_length=64)


class LoginResponse(Schema):
    """A new session (the key is in the ``klaremont_staff`` cookie, not here)."""

    account_id: uuid.UUID
    username: str
    must_change_password: bool
    csrf_token: str
    expires_at: datetime
    idle_timeout_minutes: int


class ProblemOut(Schema):
    """A problem+json body (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None


class PasswordCheck(Schema):
    """A password typed again to confirm who is acting."""

    password: SecretStr = Field(min_length=1, max_length=1024)


class PasswordChangeRequest(Schema):
    """The current password and the new one."""

    current_password: SecretStr = Field(min_length=1, max_length=1024)
    new_password: SecretStr = Field(min_length=1, max_length=1024)


class CsrfOut(Schema):
    """The anti-forgery token of the (new) session (none for API-token callers)."""

    csrf_token: str | None


class MeOut(Schema):
    """Who is signed in, what they may do, and when the password expires."""

    account_id: uuid.UUID
    username: str
    full_name: str
    job_role: Role
    roles: list[Role]
    permissions: list[Permission]
    purposes: list[str]
    password_expires_at: datetime
    mfa_enrolled: bool
    remote: bool
    via: str


class EnrolmentOut(Schema):
    """A TOTP secret to type into an authenticator app (shown once)."""

    secret: str
    otpauth_uri: str


class CodeIn(Schema):
    """A six-digit authenticator code."""

    code: SecretStr = Field(min_length=6, max_length=6)


class RecoveryCodesOut(Schema):
    """Single-use recovery codes (shown once)."""

    recovery_codes: list[str]


class TokenRequest(LoginRequest):
    """Credentials plus the token's name and lifetime."""

    name: str = Field(min_length=1, max_length=64)
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=3,
        description="what the token may do: read, write, admin (admin tokens last minutes)",
    )
    days: StrictInt | None = Field(
        default=None, ge=1, le=365, description="lifetime of a read or write token (30 if left out)"
    )


class TokenOut(Schema):
    """An API token as listed (never the token itself)."""

    id: uuid.UUID
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    scopes: list[str]

    @field_validator("scopes", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return sorted(decode(value)) if isinstance(value, str) else value


class NewTokenOut(TokenOut):
    """A new API token: ``token`` is shown once."""

    token: str


class GrantRequest(Schema):
    """Why remote access is needed, and for how long."""

    reason: str = Field(min_length=5, max_length=200)
    days: StrictInt = Field(ge=1, le=365)


class GrantOut(Schema):
    """A remote-access grant."""

    id: uuid.UUID
    account_id: uuid.UUID
    reason: str
    requested_at: datetime
    expires_at: datetime
    manager_approved_by: uuid.UUID | None
    techops_approved_by: uuid.UUID | None
    revoked_at: datetime | None
    active: bool


class StaffCreate(Schema):
    """A new staff account; the response carries a one-time password."""

    username: str = Field(min_length=3, max_length=64)
    full_name: str = Field(min_length=1, max_length=200)
    work_email: str = Field(min_length=3, max_length=254)
    job_role: Role
    line_manager_id: uuid.UUID | None = None
    vetted_on: Day | None = None
    training_completed_at: Moment | None = None
    job_title: str | None = Field(default=None, max_length=100, examples=["Senior Engineer"])
    seniority: StrictInt | None = Field(
        default=None, ge=1, le=10, description="1 junior to 10 senior"
    )


class MaintenanceCreate(Schema):
    """A time-boxed remote maintenance account."""

    username: str = Field(min_length=3, max_length=64)
    full_name: str = Field(min_length=1, max_length=200)
    work_email: str = Field(min_length=3, max_length=254)
    hours: StrictInt = Field(ge=1, le=72)


class StaffOut(Schema):
    """A staff account as administrators see it."""

    id: uuid.UUID
    username: str
    full_name: str
    status: str
    kind: str
    job_role: Role
    job_title: str | None = None
    seniority: int | None = None
    roles: list[Role]
    line_manager_id: uuid.UUID | None
    locked: bool
    last_login_at: datetime | None
    password_changed_at: datetime
    vetted_on: date | None
    training_completed_at: datetime | None
    expires_at: datetime | None
    created_at: datetime


class CreatedStaffOut(Schema):
    """A new account and its one-time password (shown once, changed at first login)."""

    account: StaffOut
    one_time_password: str


class RoleIn(Schema):
    """A role to grant."""

    role: Role


class VettingIn(Schema):
    """The date of a background check."""

    vetted_on: Day


class TrainingIn(Schema):
    """When data-protection training and policy acknowledgement were completed."""

    completed_at: Moment


class JobIn(Schema):
    """What the person is called at work and their grade (``null`` clears either)."""

    job_title: str | None = Field(max_length=100, examples=["Development Manager"])
    seniority: StrictInt | None = Field(
        ge=1, le=10, description="1 the most junior, 10 the most senior"
    )


class LineManagerIn(Schema):
    """The new line manager (``null`` clears it)."""

    line_manager_id: uuid.UUID | None


class ReasonIn(Schema):
    """Why (recorded in the audit log)."""

    reason: str = Field(default="administrator", min_length=1, max_length=64)


class OffboardOut(Schema):
    """What offboarding revoked."""

    sessions: int
    api_tokens: int
    remote_grants: int
    mfa: bool
    roles: list[str]
    hooks: dict[str, str]


class OneTimePasswordOut(Schema):
    """A reset password (shown once; must be changed at first use)."""

    one_time_password: str


class ReviewOut(Schema):
    """The access review report."""

    generated_at: datetime
    digest: str
    flagged: int
    last_signed_at: datetime | None
    last_signed_by: str | None
    next_due: datetime | None
    flag_counts: dict[str, int]
    rows: list[ReviewRow]  # the service's own row: one definition of the columns


class SignOffIn(Schema):
    """Sign off the report with this digest (the one reviewed)."""

    digest: str = Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")
    notes: str | None = Field(default=None, max_length=2000)


class SignOffOut(Schema):
    """A recorded sign-off."""

    id: uuid.UUID
    signed_at: datetime
    accounts_reviewed: int
    accounts_flagged: int
    digest: str
