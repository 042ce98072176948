"""The media capability's part of the evidence pack (extension point ``evidence_files``):
the inventory and the disposal register, as the ``klaremont media register`` command writes
them, the export audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.media import register
from klaremont.media.actions import MediaAction

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def files(uow: UnitOfWork) -> list[tuple[str, bytes]]:
    """``media-registers.html``, ``media-inventory.csv`` and ``media-disposals.csv``."""
    made = register.registers(uow)
    uow.audit(
        MediaAction.REGISTER_EXPORTED,
        resource="media:register",
        details={"items": len(made.inventory), "disposals": len(made.disposals)},
    )
    return [
        ("media-registers.html", register.to_html(made).encode("utf-8")),
        (
            "media-inventory.csv",
            register.to_csv(register.INVENTORY_HEADER, made.inventory).encode("utf-8"),
        ),
        (
            "media-disposals.csv",
            register.to_csv(register.DISPOSAL_HEADER, made.disposals).encode("utf-8"),
        ),
    ]
