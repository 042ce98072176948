"""What the wireless API reads and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from klaremont.wifi.service_guest import CodeRow, IssuedCode


class IssueIn(BaseModel):
    """Issue guest codes."""

    model_config = ConfigDict(extra="forbid")

    count: StrictInt = Field(1, ge=1, le=200, description="how many codes (one batch)")
    valid_hours: StrictInt | None = Field(
        None, ge=1, le=168, description="hours each works from first use (policy default)"
    )
    max_devices: StrictInt | None = Field(
        None, ge=1, le=10, description="devices each may connect (policy default)"
    )


class IssuedOut(BaseModel):
    """An issued code: shown in this answer only."""

    code: str
    batch: str
    valid_hours: int
    max_devices: int
    expires_at: datetime

    @classmethod
    def of(cls, made: IssuedCode) -> IssuedOut:
        """From the service's answer."""
        return cls(
            code=made.code,
            batch=made.batch,
            valid_hours=made.valid_hours,
            max_devices=made.max_devices,
            expires_at=made.expires_at,
        )


class RevokeIn(BaseModel):
    """Revoke one code or a whole batch."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(None, min_length=1, max_length=32, description="the code")
    batch: str | None = Field(None, min_length=1, max_length=16, description="a batch name")


class RevokedOut(BaseModel):
    """How many codes were revoked."""

    revoked: int


class CodeOut(BaseModel):
    """A code as lists show it: its last characters, never the code."""

    hint: str
    batch: str
    issued_at: datetime
    issued_by: str
    expires_at: datetime
    first_used_at: datetime | None
    ends_at: datetime
    devices: int
    max_devices: int
    state: str

    @classmethod
    def of(cls, row: CodeRow, now: datetime) -> CodeOut:
        """From a listed row."""
        return cls(
            hint=row.hint,
            batch=row.batch,
            issued_at=row.issued_at,
            issued_by=row.issued_by,
            expires_at=row.expires_at,
            first_used_at=row.first_used_at,
            ends_at=row.ends_at,
            devices=row.devices,
            max_devices=row.max_devices,
            state=row.state(now),
        )
