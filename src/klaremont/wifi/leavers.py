"""The staff capability's announcements, handled: a leaver's or a disabled account's
devices are removed and their live sessions disconnected (IS-AC-LEAVER, IS-WIFI-STAFF)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.wifi import service_devices

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.staff.announcements import StaffDisabled, StaffLeft


def on_left(uow: UnitOfWork, event: StaffLeft) -> str:
    """Offboarding: every device of the leaver ends now."""
    ended = service_devices.end_for_account(uow, event.account_id, reason="left", by="offboarding")
    return f"{ended} wireless device(s) removed"


def on_disabled(uow: UnitOfWork, event: StaffDisabled) -> str:
    """A disabled account's devices end now (re-enabling does not bring them back)."""
    ended = service_devices.end_for_account(
        uow, event.account_id, reason=f"disabled:{event.reason}"[:64], by="account disabled"
    )
    return f"{ended} wireless device(s) removed"
