"""Demo media (DEMO ONLY): a laptop out with a member of staff, a paper archive box, an
encrypted USB disk disposed of with a shredding certificate, and a stocktake done last
month, so the inventory, an item page, the stocktake and the disposal register all show
something. Backups made on the demo register themselves."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.media import disposal, service, stocktake
from klaremont.media.states import MediaKind
from klaremont.staff.models import StaffAccount

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 65  # after the staff (10) and the incidents (60)


def _as(uow: UnitOfWork, username: str) -> None:
    account_id = uow.session.scalar(
        select(StaffAccount.id).where(StaffAccount.username == username)
    )
    uow.actor = Actor(ActorType.STAFF, str(account_id or username), username)


def _item(uow: UnitOfWork, label: str, kind: MediaKind, **values: object) -> None:
    fields: dict[str, object] = {
        "holds_personal_data": True,
        "holds_card_data": False,
        "encryption": None,
        "location": "Head office, IT store room (locked cabinet 2)",
        "custodian": "Tara Tolley",
        "created_on": uow.clock.now().date() - timedelta(days=200),
    }
    fields.update(values)
    service.register(uow, service.NewItem(label=label, kind=kind, **fields))  # type: ignore[arg-type]


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Register the demo items, a movement, a disposal and a stocktake."""
    del rng, size
    today = uow.clock.now().date()
    _as(uow, "tara")
    _item(
        uow,
        "LAPTOP-0142",
        MediaKind.LAPTOP,
        encryption="Full-disk, BitLocker XTS-AES-256",
        created_on=date(today.year - 2, 3, 1),
        retention_due=date(today.year + 1, 3, 1),
    )
    _item(
        uow,
        "ARCHIVE-BOX-2019-A",
        MediaKind.PAPER_ARCHIVE,
        holds_card_data=True,
        location="Off-site archive, Unit 4 Riverside (bay 12)",
        custodian="Ivan Iles",
        created_on=date(2019, 12, 31),
        retention_due=date(today.year + 1, 12, 31),
    )
    _item(
        uow,
        "USB-ENC-0007",
        MediaKind.REMOVABLE_DISK,
        encryption="Hardware AES-256 (PIN pad)",
        created_on=today - timedelta(days=400),
    )
    _item(
        uow,
        "EXPORT-2026-ACCOUNTS",
        MediaKind.EXPORT,
        encryption="AES-256 zip, password held by the DPO",
        location="Finance share, restricted folder",
        custodian="Dana Dunn",
        created_on=today - timedelta(days=30),
        retention_due=today + timedelta(days=60),
    )
    stocktake.start(uow)
    for label in ("LAPTOP-0142", "ARCHIVE-BOX-2019-A", "USB-ENC-0007", "EXPORT-2026-ACCOUNTS"):
        stocktake.seen(uow, label)
    stocktake.finish(uow)
    service.move(
        uow,
        "LAPTOP-0142",
        to_location="Bristol office (home working approved)",
        handed_to="Erin Ellery",
        approved_by="ivan",
    )
    disposal.request(uow, "USB-ENC-0007", "Replaced by a new encrypted disk; no longer needed")
    _as(uow, "ivan")
    disposal.approve(uow, "USB-ENC-0007")
    _as(uow, "tara")
    disposal.carry_out(
        uow,
        "USB-ENC-0007",
        disposal.CarryOut(
            "destroy", "shred", "SecureShred Ltd (van 3)", "Tara Tolley", "SSL-2026-118734"
        ),
    )
    return ["4 media items, a stocktake, a movement and one disposal with its certificate"]
