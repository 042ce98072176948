"""Retention of the wireless records, from the policy file.

Logins and ended sessions are kept ``wifi.login_record_days``; removed staff devices go
with the logins' period after their removal. Guest codes and the devices they admitted are
the retention run's (``retention.wifi_credentials``, :mod:`klaremont.wifi.retention`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from klaremont.wifi.actions import WifiAction
from klaremont.wifi.models import (
    DeviceStatus,
    StaffDevice,
    WifiLogin,
    WifiSession,
)

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def purge(uow: UnitOfWork) -> dict[str, int]:
    """Delete what is past its retention; counts by kind."""
    now = uow.clock.now()
    cutoff = now - timedelta(days=uow.policy.wifi.login_record_days)
    done: dict[str, int] = {}
    done["logins"] = _count(uow.session.execute(delete(WifiLogin).where(WifiLogin.at < cutoff)))
    done["sessions"] = _count(
        uow.session.execute(delete(WifiSession).where(WifiSession.stopped_at < cutoff))
    )
    done["staff_devices"] = _count(
        uow.session.execute(
            delete(StaffDevice).where(
                StaffDevice.status == DeviceStatus.REMOVED, StaffDevice.decided_at < cutoff
            )
        )
    )
    if any(done.values()):
        uow.audit(WifiAction.RECORDS_PURGED, resource="wifi-records", details=done)
    return done


def run(platform: Platform) -> str:
    """The scheduled job: one line saying what went."""
    with platform.unit_of_work() as uow:
        done = purge(uow)
    return "wireless records purged: " + ", ".join(f"{n} {kind}" for kind, n in done.items())
