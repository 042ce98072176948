"""Live checks of the wireless clauses, one per clause, over the wireless records.

Without a database (the policy trace run from settings alone) each says so and holds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database
from klaremont.wifi import hours
from klaremont.wifi.models import (
    AccessPoint,
    DeviceStatus,
    GuestCode,
    GuestDevice,
    StaffDevice,
    WifiLogin,
)
from klaremont.wifi.settings import WifiSettings

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "wireless records not inspected (no database in this context)"
DIGEST_HEX = 64
RECENT_LOGINS = 5000


def _run(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return with_database(ctx, check, without=NO_DATABASE)


@live_check(
    "IS-WIFI-GUEST",
    reads="every guest Wi-Fi code's lifetime and devices against the policy's time limits and "
    "device limit",
)
def guest_codes_are_time_limited(ctx: LiveContext) -> CheckResult:
    """Every guest code expires within the policy's bounds and no code has more devices
    than it allows."""

    def check(uow: UnitOfWork) -> CheckResult:
        wifi = uow.policy.wifi
        longest = timedelta(days=wifi.guest_expiry_days)
        codes = list(uow.session.scalars(select(GuestCode)))
        stretched = [
            c.hint
            for c in codes
            if c.expires_at - c.issued_at > longest
            or c.valid_seconds > wifi.guest_valid_hours * 3600
        ]
        crowded = list(
            uow.session.execute(
                select(GuestDevice.code_id, func.count())
                .group_by(GuestDevice.code_id)
                .having(func.count() > wifi.guest_max_devices)
            )
        )
        if stretched or crowded:
            return CheckResult(
                holds=False,
                detail=f"{len(stretched)} code(s) beyond the policy's time limits, "
                f"{len(crowded)} with more devices than allowed",
            )
        return CheckResult(holds=True, detail=f"{len(codes)} guest code(s), each time-limited")

    return _run(ctx, check)


@live_check(
    "IS-WIFI-STAFF",
    reads="approved staff Wi-Fi devices: who approved each against its owner, and each person's "
    "devices against the policy's limit",
)
def staff_devices_are_approved_by_someone_else(ctx: LiveContext) -> CheckResult:
    """Approved staff devices were approved by another person; nobody holds more than the
    policy's number of devices."""

    def check(uow: UnitOfWork) -> CheckResult:
        limit = uow.policy.wifi.staff_max_devices
        approved = list(
            uow.session.scalars(
                select(StaffDevice).where(StaffDevice.status == DeviceStatus.APPROVED)
            )
        )
        own = [d.username for d in approved if d.decided_by == d.username]
        per: dict[str, int] = {}
        for device in approved:
            per[device.username] = per.get(device.username, 0) + 1
        over = [name for name, n in per.items() if n > limit]
        if own or over:
            return CheckResult(
                holds=False,
                detail=f"self-approved devices: {len(own)}; over the limit: {', '.join(over)}",
            )
        return CheckResult(holds=True, detail=f"{len(approved)} approved staff device(s)")

    return _run(ctx, check)


@live_check(
    "IS-WIFI-ISOLATE",
    reads="the Wi-Fi settings' guest and staff networks, every guest code's stored digest, and "
    "the access points",
)
def wireless_is_kept_apart(ctx: LiveContext) -> CheckResult:
    """Guests and staff get different VLANs, guest codes are stored only as digests and
    every access point's secret is sealed."""
    settings = WifiSettings()
    if settings.guest_vlan == settings.staff_vlan:
        return CheckResult(holds=False, detail="guests and staff devices are given the same VLAN")

    def check(uow: UnitOfWork) -> CheckResult:
        bad_digests = uow.session.scalar(
            select(func.count())
            .select_from(GuestCode)
            .where(func.length(GuestCode.code_digest) != DIGEST_HEX)
        )
        points = uow.session.scalar(select(func.count()).select_from(AccessPoint)) or 0
        if bad_digests:
            return CheckResult(holds=False, detail=f"{bad_digests} guest code(s) not digested")
        return CheckResult(
            holds=True,
            detail=f"guest VLAN {settings.guest_vlan}, staff VLAN {settings.staff_vlan}; "
            f"{points} access point(s) with sealed secrets",
        )

    return _run(ctx, check)


@live_check(
    "IS-WIFI-HOURS",
    reads="the most recent accepted Wi-Fi logins: each time and session length against the "
    "policy's opening hours",
)
def no_login_outside_the_window(ctx: LiveContext) -> CheckResult:
    """No recent accepted login fell outside the opening window or outlived closing time."""

    def check(uow: UnitOfWork) -> CheckResult:
        wifi = uow.policy.wifi
        logins = list(
            uow.session.scalars(
                select(WifiLogin)
                .where(WifiLogin.accepted.is_(True))
                .order_by(WifiLogin.at.desc())
                .limit(RECENT_LOGINS)
            )
        )
        wrong = 0
        for login in logins:
            window = hours.window(wifi, login.at)
            if not window.open or (login.session_timeout or 0) > window.seconds_to_close(login.at):
                wrong += 1
        if wrong:
            return CheckResult(
                holds=False, detail=f"{wrong} login(s) let in outside the window or past closing"
            )
        return CheckResult(
            holds=True,
            detail=f"{len(logins)} recent login(s), all inside {hours.describe(wifi)}",
        )

    return _run(ctx, check)
