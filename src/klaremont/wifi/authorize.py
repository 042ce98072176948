"""The policy of a wireless login: who is let in, for how long, on which VLAN.

The RADIUS server decodes packets and checks their authenticators; everything it decides
is here, framework-free. A guest logs in with a code (PAP); a member of staff's device by
its MAC address. Both only inside the opening window (IS-WIFI-HOURS), for at most the time
left to closing. Every attempt, accepted or refused, is a ``wifi_logins`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from klaremont.db.engine import is_sqlite
from klaremont.wifi import hours
from klaremont.wifi.codes import code_digest, normalise_code, normalise_mac
from klaremont.wifi.models import (
    DeviceKind,
    DeviceStatus,
    GuestCode,
    GuestDevice,
    PortalTicket,
    StaffDevice,
    WifiLogin,
)

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from klaremont.platform import UnitOfWork

REFUSED_CODE = (
    "This code cannot be used. Check it and try again, or ask a member of staff for a new one."
)
REFUSED_DEVICE = "This device is not registered for the staff wireless network."
REFUSED_NO_MAC = "Your device did not say who it is; reconnect and try again."


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login as the access point asked it."""

    access_point: str
    user_name: str | None
    password: str | None
    calling_station: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: accept or refuse, why, and for how long."""

    accept: bool
    reason: str
    kind: DeviceKind
    message: str | None = None
    session_timeout: int | None = None


def refuse(reason: str, kind: DeviceKind, message: str | None) -> Decision:
    """A refusal for ``reason`` with the words the device is shown."""
    return Decision(accept=False, reason=reason, kind=kind, message=message)


def accept(kind: DeviceKind, timeout: int) -> Decision:
    """An acceptance for ``timeout`` seconds."""
    return Decision(accept=True, reason="accepted", kind=kind, session_timeout=timeout)


def is_mac_login(attempt: Attempt) -> bool:
    """A MAC-authentication request: the user name is a MAC address (the password repeats it
    or is the access point's own), never a guest code."""
    return attempt.user_name is not None and normalise_mac(attempt.user_name) is not None


def decide(uow: UnitOfWork, attempt: Attempt, secret: str) -> Decision:
    """Decide one login and record it."""
    return _staff(uow, attempt) if is_mac_login(attempt) else _guest(uow, attempt, secret)


def _record(
    uow: UnitOfWork,
    attempt: Attempt,
    decision: Decision,
    *,
    mac: str | None,
    code_id: uuid.UUID | None = None,
    username: str | None = None,
) -> Decision:
    uow.session.add(
        WifiLogin(
            at=uow.clock.now(),
            kind=decision.kind,
            accepted=decision.accept,
            reason=decision.reason,
            mac=mac,
            access_point=attempt.access_point,
            code_id=code_id,
            username=username,
            session_timeout=decision.session_timeout,
        )
    )
    return decision


def _closed(uow: UnitOfWork, kind: DeviceKind, window: hours.Window) -> Decision:
    return refuse(window.reason, kind, hours.closed_message(uow.policy.wifi))


def _guest(uow: UnitOfWork, attempt: Attempt, secret: str) -> Decision:
    now = uow.clock.now()
    mac = normalise_mac(attempt.calling_station or "")
    kind = DeviceKind.GUEST
    window = hours.window(uow.policy.wifi, now)
    if not window.open:
        return _record(uow, attempt, _closed(uow, kind, window), mac=mac)
    plain = normalise_code(attempt.password or "")
    if plain is None:
        return _record(uow, attempt, refuse("unknown_code", kind, REFUSED_CODE), mac=mac)
    query = select(GuestCode).where(GuestCode.code_digest == code_digest(secret, plain))
    if not is_sqlite(uow.platform.engine):
        query = query.with_for_update()  # SQLite: BEGIN IMMEDIATE already serialises
    code = uow.session.scalars(query).first()
    if code is None:
        return _record(uow, attempt, refuse("unknown_code", kind, REFUSED_CODE), mac=mac)
    return _with_code(uow, attempt, code, mac, window)


def _with_code(
    uow: UnitOfWork,
    attempt: Attempt,
    code: GuestCode,
    mac: str | None,
    window: hours.Window,
) -> Decision:
    now = uow.clock.now()
    kind = DeviceKind.GUEST
    refused = _code_refusal(code, now)
    if refused is None and mac is None:
        refused = "no_device_address"
    if refused is not None:
        message = REFUSED_NO_MAC if refused == "no_device_address" else REFUSED_CODE
        return _record(uow, attempt, refuse(refused, kind, message), mac=mac, code_id=code.id)
    assert mac is not None  # noqa: S101 - narrowed above
    if not _admit_device(uow, code, mac, now):
        return _record(
            uow, attempt, refuse("device_limit", kind, REFUSED_CODE), mac=mac, code_id=code.id
        )
    remaining = int((code.ends_at() - now).total_seconds())
    timeout = max(1, min(remaining, window.seconds_to_close(now)))
    return _record(uow, attempt, accept(kind, timeout), mac=mac, code_id=code.id)


def decide_ticket(uow: UnitOfWork, attempt: Attempt, ticket: str) -> Decision:
    """A login through the login page: its one-time ticket (CHAP already checked) stands
    for the code it was made for, for the device it was made for, once, for two minutes."""
    now = uow.clock.now()
    mac = normalise_mac(attempt.calling_station or "")
    kind = DeviceKind.GUEST
    query = select(PortalTicket).where(PortalTicket.ticket == ticket)
    if not is_sqlite(uow.platform.engine):
        query = query.with_for_update()
    found = uow.session.scalars(query).first()
    if found is None or found.used_at is not None or found.expires_at <= now or found.mac != mac:
        return _record(uow, attempt, refuse("bad_ticket", kind, REFUSED_CODE), mac=mac)
    found.used_at = now
    window = hours.window(uow.policy.wifi, now)
    if not window.open:
        return _record(uow, attempt, _closed(uow, kind, window), mac=mac, code_id=found.code_id)
    code_query = select(GuestCode).where(GuestCode.id == found.code_id)
    if not is_sqlite(uow.platform.engine):
        code_query = code_query.with_for_update()
    code = uow.session.scalars(code_query).first()
    if code is None:  # pragma: no cover - purged within the ticket's two minutes
        return _record(uow, attempt, refuse("unknown_code", kind, REFUSED_CODE), mac=mac)
    return _with_code(uow, attempt, code, mac, window)


def _code_refusal(code: GuestCode, now: datetime) -> str | None:
    if code.revoked_at is not None:
        return "revoked"
    if code.ends_at() <= now:
        return "expired"
    return None


def _admit_device(uow: UnitOfWork, code: GuestCode, mac: str, now: datetime) -> bool:
    """Bind ``mac`` to the code unless its device slots are full; True when admitted."""
    known = uow.session.scalars(
        select(GuestDevice.id).where(GuestDevice.code_id == code.id, GuestDevice.mac == mac)
    ).first()
    if known is not None:
        return True
    taken = uow.session.scalar(
        select(func.count()).select_from(GuestDevice).where(GuestDevice.code_id == code.id)
    )
    if (taken or 0) >= code.max_devices:
        return False
    try:
        with uow.session.begin_nested():
            uow.session.add(
                GuestDevice(code_id=code.id, slot=(taken or 0) + 1, mac=mac, first_seen_at=now)
            )
            if code.first_used_at is None:
                code.first_used_at = now
            uow.session.flush()
    except IntegrityError:
        return False  # another server took the slot first (the unique slot decides)
    return True


def _staff(uow: UnitOfWork, attempt: Attempt) -> Decision:
    now = uow.clock.now()
    mac = normalise_mac(attempt.user_name or "")
    kind = DeviceKind.STAFF
    device = uow.session.scalars(
        select(StaffDevice).where(
            StaffDevice.mac == mac, StaffDevice.status == DeviceStatus.APPROVED
        )
    ).first()
    if device is None:
        return _record(uow, attempt, refuse("unknown_device", kind, REFUSED_DEVICE), mac=mac)
    window = hours.window(uow.policy.wifi, now)
    if not window.open:
        return _record(uow, attempt, _closed(uow, kind, window), mac=mac, username=device.username)
    timeout = max(1, window.seconds_to_close(now))
    return _record(
        uow,
        attempt,
        accept(kind, timeout),
        mac=mac,
        username=device.username,
    )
