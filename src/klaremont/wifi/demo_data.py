"""Demo wireless (DEMO ONLY): the shop-floor controller on loopback, a batch of guest codes,
and staff devices (one approved, one waiting for technical operations).

The demo access point's shared secret is printed here on purpose, as the demo logins are:
``radclient`` on the same machine can then ask the demo server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.staff.models import StaffAccount
from klaremont.wifi import service_ap, service_devices, service_guest

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

DEMO_AP_SECRET = "demo-shop-floor-radius-secret"  # noqa: S105 - DEMO ONLY, documented
DEVICES = (
    ("erin", "3c:22:fb:5e:10:01", "Work laptop", "tara"),
    ("sam", "da:a1:19:6b:22:02", "Phone (private address)", None),
)


def _account(uow: UnitOfWork, username: str) -> StaffAccount | None:
    return uow.session.scalars(
        select(StaffAccount).where(StaffAccount.username == username)
    ).first()


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Make the demo access point, codes and devices; return summary lines."""
    del rng, size
    actor = uow.actor
    service_ap.add(
        uow,
        name="Shop floor controller",
        network="127.0.0.0/8",
        secret=DEMO_AP_SECRET,
        by="demo",
    )
    uow.actor = Actor(ActorType.STAFF, "demo", "sam")
    codes = service_guest.issue(uow, count=3, by="sam")
    made = 0
    for username, mac, label, approver in DEVICES:
        owner = _account(uow, username)
        if owner is None:  # pragma: no cover - the staff demo runs first
            continue
        row = service_devices.register(
            uow, account_id=owner.id, username=username, mac=mac, label=label
        )
        made += 1
        checker = _account(uow, approver) if approver else None
        if checker is not None:
            service_devices.approve(uow, device_id=row.id, by=approver or "", by_account=checker.id)
    uow.actor = actor
    uow.session.flush()
    line = (
        f"wifi: access point on 127.0.0.0/8 (secret {DEMO_AP_SECRET}), "
        f"{len(codes)} guest codes (first: {codes[0].code}), {made} staff devices"
    )
    return [line]
