"""Guest codes: issue one or a batch, look them up, revoke them (IS-WIFI-GUEST).

The plain code exists only in the answer to the issue call (for the printed slip); the
table keeps its keyed digest. Issuing and revoking are audited; the codes never are.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.errors import NotFound, ValidationFailed
from klaremont.wifi.actions import WifiAction
from klaremont.wifi.codes import code_digest, new_code, normalise_code
from klaremont.wifi.models import GuestCode, GuestDevice

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

MAX_BATCH = 200
_BATCH_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """One issued code, in the clear for its slip: the only time it is ever shown."""

    code: str
    batch: str
    valid_hours: int
    max_devices: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class CodeRow:
    """A code as lists show it (never the code itself)."""

    id: uuid.UUID
    hint: str
    batch: str
    issued_at: datetime
    issued_by: str
    expires_at: datetime
    first_used_at: datetime | None
    ends_at: datetime
    revoked_at: datetime | None
    devices: int
    max_devices: int

    def state(self, now: datetime) -> str:
        """``revoked``, ``expired``, ``in use`` or ``not used yet``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.ends_at <= now:
            return "expired"
        return "in use" if self.first_used_at is not None else "not used yet"


def platform_secret(uow: UnitOfWork) -> str:
    """The key of the codes' digests."""
    return uow.platform.settings.secret_key.get_secret_value()


def _bounded(field: str, value: int | None, default: int, lo: int, hi: int) -> int:
    if value is None:
        return default
    if not lo <= value <= hi:
        raise ValidationFailed.single(field, f"must be a whole number from {lo} to {hi}")
    return value


def issue(
    uow: UnitOfWork,
    *,
    count: int = 1,
    by: str,
    valid_hours: int | None = None,
    max_devices: int | None = None,
) -> list[IssuedCode]:
    """Issue ``count`` codes (one batch); the policy's values unless narrower ones are given.

    A code works ``valid_hours`` from its first use and never after the policy's
    ``guest_expiry_days`` from now; both bounds are the policy's, so a request cannot
    stretch a code beyond them.
    """
    policy = uow.policy.wifi
    count = _bounded("count", count, 1, 1, MAX_BATCH)
    hours = _bounded(
        "valid_hours", valid_hours, policy.guest_valid_hours, 1, policy.guest_valid_hours
    )
    devices = _bounded(
        "max_devices", max_devices, policy.guest_max_devices, 1, policy.guest_max_devices
    )
    now = uow.clock.now()
    expires = now + timedelta(days=policy.guest_expiry_days)
    batch = "".join(secrets.choice(_BATCH_ALPHABET) for _ in range(6))
    secret = platform_secret(uow)
    issued: list[IssuedCode] = []
    for _ in range(count):
        code = new_code()
        plain = normalise_code(code)
        if plain is None:  # pragma: no cover - new_code only makes normal codes
            raise AssertionError
        uow.session.add(
            GuestCode(
                code_digest=code_digest(secret, plain),
                hint=plain[-3:],
                batch=batch,
                valid_seconds=hours * 3600,
                max_devices=devices,
                issued_at=now,
                issued_by=by,
                expires_at=expires,
            )
        )
        issued.append(IssuedCode(code, batch, hours, devices, expires))
    uow.session.flush()
    uow.audit(
        WifiAction.CODES_ISSUED,
        resource=f"wifi-batch:{batch}",
        details={
            "by": by,
            "count": count,
            "valid_hours": hours,
            "max_devices": devices,
            "expires_at": expires.isoformat(),
        },
    )
    return issued


def find_by_code(uow: UnitOfWork, typed: str) -> GuestCode | None:
    """The code row a typed code names, or ``None``."""
    plain = normalise_code(typed)
    if plain is None:
        return None
    digest = code_digest(platform_secret(uow), plain)
    return uow.session.scalars(select(GuestCode).where(GuestCode.code_digest == digest)).first()


def revoke(
    uow: UnitOfWork,
    *,
    by: str,
    code: str | None = None,
    code_id: uuid.UUID | None = None,
    batch: str | None = None,
) -> int:
    """Revoke one code (typed, or by its row) or a whole batch; returns how many changed."""
    now = uow.clock.now()
    if batch is not None:
        rows = list(
            uow.session.scalars(
                select(GuestCode).where(
                    GuestCode.batch == batch.strip().upper(), GuestCode.revoked_at.is_(None)
                )
            )
        )
        if (
            not rows
            and not uow.session.scalars(
                select(GuestCode.id).where(GuestCode.batch == batch.strip().upper())
            ).first()
        ):
            raise NotFound("No batch of guest codes has that name.")
    else:
        row = (
            find_by_code(uow, code)
            if code is not None
            else uow.session.get(GuestCode, code_id)
            if code_id is not None
            else None
        )
        if row is None:
            raise NotFound("No guest code matches.")
        rows = [row] if row.revoked_at is None else []
    for row in rows:
        row.revoked_at = now
        row.revoked_by = by
    uow.session.flush()
    if rows:
        uow.audit(
            WifiAction.CODE_REVOKED,
            resource=f"wifi-batch:{rows[0].batch}",
            details={"by": by, "count": len(rows), "hints": [r.hint for r in rows][:20]},
        )
    return len(rows)


def recent(uow: UnitOfWork, *, limit: int = 100) -> list[CodeRow]:
    """The newest codes with their state, for the console and the API."""
    codes = list(
        uow.session.scalars(select(GuestCode).order_by(GuestCode.issued_at.desc()).limit(limit))
    )
    counts: dict[uuid.UUID, int] = {}
    if codes:
        for code_id in uow.session.scalars(
            select(GuestDevice.code_id).where(GuestDevice.code_id.in_([c.id for c in codes]))
        ):
            counts[code_id] = counts.get(code_id, 0) + 1
    return [
        CodeRow(
            id=c.id,
            hint=c.hint,
            batch=c.batch,
            issued_at=c.issued_at,
            issued_by=c.issued_by,
            expires_at=c.expires_at,
            first_used_at=c.first_used_at,
            ends_at=c.ends_at(),
            revoked_at=c.revoked_at,
            devices=counts.get(c.id, 0),
            max_devices=c.max_devices,
        )
        for c in codes
    ]
