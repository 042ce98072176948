"""Media test helpers."""

from __future__ import annotations

from datetime import date

from klaremont.media import service
from klaremont.media.states import MediaKind


def new_item(label: str = "LAPTOP-07", **changes: object) -> service.NewItem:
    values: dict[str, object] = {
        "label": label,
        "kind": MediaKind.LAPTOP,
        "holds_personal_data": True,
        "holds_card_data": False,
        "encryption": "BitLocker XTS-AES-256",
        "location": "Head office safe",
        "custodian": "Tess Ops",
        "created_on": date(2026, 1, 5),
    }
    values.update(changes)
    return service.NewItem(**values)  # type: ignore[arg-type]
