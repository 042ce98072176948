"""Staff devices (IS-WIFI-STAFF): registered by their owner, approved by technical
operations, ended with the account.

A member of staff registers up to the policy's ``staff_max_devices`` MAC addresses; each
waits for technical operations' approval (nobody approves their own) before the RADIUS
server lets it in on the staff VLAN. Removing a device, offboarding (IS-AC-LEAVER) and
disabling an account end its wireless access at once, with a Disconnect for its live
sessions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from klaremont.wifi import disconnect
from klaremont.wifi.actions import WifiAction
from klaremont.wifi.codes import is_randomised, normalise_mac
from klaremont.wifi.models import DeviceStatus, StaffDevice

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

LABEL_MAX = 64
LIVE = (DeviceStatus.PENDING, DeviceStatus.APPROVED)


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """A device as the console lists it."""

    id: uuid.UUID
    username: str
    label: str
    mac: str
    status: DeviceStatus
    requested_at: datetime
    decided_by: str | None
    randomised: bool


def _row(device: StaffDevice) -> DeviceRow:
    return DeviceRow(
        id=device.id,
        username=device.username,
        label=device.label,
        mac=device.mac,
        status=device.status,
        requested_at=device.requested_at,
        decided_by=device.decided_by,
        randomised=is_randomised(device.mac),
    )


def register(
    uow: UnitOfWork, *, account_id: uuid.UUID, username: str, mac: str, label: str
) -> DeviceRow:
    """Register one of your own devices; it waits for technical operations' approval."""
    address = normalise_mac(mac)
    if address is None:
        raise ValidationFailed.single(
            "mac", "must be a MAC address of 12 hexadecimal digits, such as 3c:22:fb:12:34:56"
        )
    label = " ".join(label.split())
    if not 1 <= len(label) <= LABEL_MAX or not label.isprintable():
        raise ValidationFailed.single("label", f"must be 1 to {LABEL_MAX} printable characters")
    limit = uow.policy.wifi.staff_max_devices
    held = uow.session.scalar(
        select(func.count())
        .select_from(StaffDevice)
        .where(StaffDevice.account_id == account_id, StaffDevice.status.in_(LIVE))
    )
    if (held or 0) >= limit:
        raise Conflict(f"You already have {limit} devices registered; remove one first.")
    if uow.session.scalars(
        select(StaffDevice.id).where(StaffDevice.mac == address, StaffDevice.status.in_(LIVE))
    ).first():
        raise Conflict("That device address is already registered.")
    device = StaffDevice(
        account_id=account_id,
        username=username,
        mac=address,
        label=label,
        status=DeviceStatus.PENDING,
        requested_at=uow.clock.now(),
    )
    uow.session.add(device)
    uow.session.flush()
    uow.audit(
        WifiAction.DEVICE_REQUESTED,
        resource=f"staff:{username}",
        details={"mac": address, "label": label},
    )
    return _row(device)


def _device(uow: UnitOfWork, device_id: uuid.UUID) -> StaffDevice:
    device = uow.session.get(StaffDevice, device_id)
    if device is None or device.status not in LIVE:
        raise NotFound("No such device is registered.")
    return device


def approve(uow: UnitOfWork, *, device_id: uuid.UUID, by: str, by_account: uuid.UUID) -> None:
    """Technical operations approve a pending device (never their own)."""
    device = _device(uow, device_id)
    if device.account_id == by_account:
        raise PermissionDenied("Nobody approves their own device; ask a colleague.")
    if device.status != DeviceStatus.PENDING:
        raise Conflict("That device is already approved.")
    device.status = DeviceStatus.APPROVED
    device.decided_at = uow.clock.now()
    device.decided_by = by
    uow.session.flush()
    uow.audit(
        WifiAction.DEVICE_APPROVED,
        resource=f"staff:{device.username}",
        details={"mac": device.mac, "by": by},
    )


def remove(
    uow: UnitOfWork,
    *,
    device_id: uuid.UUID,
    by: str,
    owner: uuid.UUID | None = None,
) -> int:
    """Remove a device (its owner's own, or any for technical operations, ``owner=None``);
    returns how many live sessions were sent a Disconnect."""
    device = _device(uow, device_id)
    if owner is not None and device.account_id != owner:
        raise NotFound("No such device is registered.")
    return _end(uow, [device], reason="removed", by=by)


def end_for_account(uow: UnitOfWork, account_id: uuid.UUID, *, reason: str, by: str) -> int:
    """End every device of an account (offboarding, disabling); returns the devices ended."""
    devices = list(
        uow.session.scalars(
            select(StaffDevice).where(
                StaffDevice.account_id == account_id, StaffDevice.status.in_(LIVE)
            )
        )
    )
    if devices:
        _end(uow, devices, reason=reason, by=by)
    return len(devices)


def _end(uow: UnitOfWork, devices: list[StaffDevice], *, reason: str, by: str) -> int:
    now = uow.clock.now()
    for device in devices:
        device.status = DeviceStatus.REMOVED
        device.decided_at = now
        device.decided_by = by
        device.removed_reason = reason[:64]
    uow.session.flush()
    answers = disconnect.disconnect_macs(uow, [d.mac for d in devices])
    uow.audit(
        WifiAction.DEVICE_REMOVED if reason == "removed" else WifiAction.DEVICES_REVOKED,
        resource=f"staff:{devices[0].username}",
        details={
            "by": by,
            "reason": reason,
            "macs": [d.mac for d in devices],
            "disconnects": answers,
        },
    )
    return len(answers)


def mine(uow: UnitOfWork, account_id: uuid.UUID) -> list[DeviceRow]:
    """Your registered devices."""
    return [
        _row(d)
        for d in uow.session.scalars(
            select(StaffDevice)
            .where(StaffDevice.account_id == account_id, StaffDevice.status.in_(LIVE))
            .order_by(StaffDevice.requested_at)
        )
    ]


def everyone(uow: UnitOfWork) -> list[DeviceRow]:
    """Every registered device, pending first (technical operations' list)."""
    rows = [
        _row(d)
        for d in uow.session.scalars(
            select(StaffDevice)
            .where(StaffDevice.status.in_(LIVE))
            .order_by(StaffDevice.username, StaffDevice.requested_at)
        )
    ]
    return sorted(rows, key=lambda r: r.status != DeviceStatus.PENDING)
