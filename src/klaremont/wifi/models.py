"""Wireless records: access points, guest codes and their devices, staff devices, logins
and accounting sessions.

Guest codes live in their own table and only their keyed digest is stored
(IS-WIFI-ISOLATE): no staff or customer password is ever looked up here, and a guest code
is looked up nowhere else. Each access point's RADIUS shared secret is sealed under the
access point's own data key. A guest code's devices take numbered slots, unique per code,
so two access points admitting two devices at once cannot both take the last slot.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.crypto.fields import SealedMixin, sealed
from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling
from klaremont.policy.model import DataCategory

DIGEST_HEX = 64
NAME_MAX = 64
MAC_MAX = 17
_INFO = {
    "info": {RIGHTS: Handling.IGNORE.value, DATA_CATEGORY: DataCategory.WIFI_CREDENTIALS.value}
}


class DeviceKind(StrEnum):
    """Who a login or session belongs to."""

    GUEST = "guest"
    STAFF = "staff"


class DeviceStatus(StrEnum):
    """Where a staff device's registration stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REMOVED = "removed"


class AccessPoint(SealedMixin, IdMixin, Base):
    """A RADIUS client (access point or captive-portal controller) and its address range."""

    __tablename__ = "wifi_access_points"
    __table_args__ = (_INFO,)

    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    network: Mapped[str] = mapped_column(String(64))  # CIDR the requests come from
    subject_id: Mapped[uuid.UUID]  # the data key the shared secret is sealed under
    secret = sealed()
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    removed_at: Mapped[datetime | None]


class GuestCode(IdMixin, Base):
    """A guest credential: keyed digest only, time-limited, limited to N devices."""

    __tablename__ = "wifi_guest_codes"
    __table_args__ = (Index("ix_wifi_guest_codes_expires", "expires_at"), _INFO)

    code_digest: Mapped[str] = mapped_column(String(DIGEST_HEX), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # the last characters, to tell slips apart
    batch: Mapped[str] = mapped_column(String(16), index=True)
    valid_seconds: Mapped[int] = mapped_column(Integer)  # from first use
    max_devices: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]  # absolute: never after this, used or not
    first_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(128))

    def ends_at(self) -> datetime:
        """When the code stops working (the earlier of its period and its expiry)."""
        if self.first_used_at is None:
            return self.expires_at
        return min(self.expires_at, self.first_used_at + timedelta(seconds=self.valid_seconds))


class GuestDevice(IdMixin, Base):
    """A device a guest code admitted: slot 1..max_devices, unique per code."""

    __tablename__ = "wifi_guest_devices"
    __table_args__ = (
        UniqueConstraint("code_id", "slot", name="uq_wifi_guest_devices_code_slot"),
        UniqueConstraint("code_id", "mac", name="uq_wifi_guest_devices_code_mac"),
        _INFO,
    )

    code_id: Mapped[uuid.UUID] = mapped_column(index=True)
    slot: Mapped[int] = mapped_column(Integer)
    mac: Mapped[str] = mapped_column(String(MAC_MAX))
    first_seen_at: Mapped[datetime]


class StaffDevice(IdMixin, Base):
    """A staff member's device MAC address: pending until technical operations approve."""

    __tablename__ = "wifi_staff_devices"
    __table_args__ = (Index("ix_wifi_staff_devices_mac_status", "mac", "status"), _INFO)

    account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(NAME_MAX))
    mac: Mapped[str] = mapped_column(String(MAC_MAX))
    label: Mapped[str] = mapped_column(String(NAME_MAX))
    status: Mapped[DeviceStatus] = enum_column(DeviceStatus, 16)
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(128))
    removed_reason: Mapped[str | None] = mapped_column(String(64))


class WifiLogin(IdMixin, Base):
    """One accepted or refused RADIUS login: who, device, access point, when, why refused."""

    __tablename__ = "wifi_logins"
    __table_args__ = (Index("ix_wifi_logins_at", "at"), _INFO)

    at: Mapped[datetime]
    kind: Mapped[DeviceKind] = enum_column(DeviceKind, 8)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(32))  # "accepted" or why refused
    mac: Mapped[str | None] = mapped_column(String(MAC_MAX))
    access_point: Mapped[str] = mapped_column(String(NAME_MAX))
    code_id: Mapped[uuid.UUID | None]
    username: Mapped[str | None] = mapped_column(String(NAME_MAX))  # staff devices
    session_timeout: Mapped[int | None] = mapped_column(Integer)
    client_ip: Mapped[str | None] = mapped_column(String(45))  # the login page's visitor


class PortalTicket(IdMixin, Base):
    """A login page's one-time ticket: the code was checked and the terms accepted there,
    and the controller logs the device in with it (CHAP, within two minutes, once).

    The ticket's password is derived from it under the platform secret, never stored.
    """

    __tablename__ = "wifi_portal_tickets"
    __table_args__ = (_INFO,)

    ticket: Mapped[str] = mapped_column(String(32), unique=True)
    code_id: Mapped[uuid.UUID] = mapped_column(index=True)
    mac: Mapped[str] = mapped_column(String(MAC_MAX))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    terms_version: Mapped[str] = mapped_column(String(16))
    terms_accepted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WifiSession(IdMixin, Base):
    """A session as accounting reports it (start, interim updates, stop)."""

    __tablename__ = "wifi_sessions"
    __table_args__ = (
        UniqueConstraint("access_point", "acct_session_id", name="uq_wifi_sessions_ap_acct"),
        Index("ix_wifi_sessions_open", "stopped_at"),
        _INFO,
    )

    access_point: Mapped[str] = mapped_column(String(NAME_MAX))
    nas_address: Mapped[str | None] = mapped_column(String(45))  # where Disconnects go
    acct_session_id: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    mac: Mapped[str | None] = mapped_column(String(MAC_MAX))
    framed_ip: Mapped[str | None] = mapped_column(String(45))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    input_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    output_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    stop_cause: Mapped[str | None] = mapped_column(String(32))
    disconnect_sent_at: Mapped[datetime | None]
    disconnect_answer: Mapped[str | None] = mapped_column(String(32))
