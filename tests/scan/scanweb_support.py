"""Helpers of the scan capability's tests: staff for each role, a card number to plant,
signed-in clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.audit.events import Actor, ActorType
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff

if TYPE_CHECKING:
    from pathlib import Path

    from klaremont.platform import Platform

PEOPLE = {
    "iris": Role.ISO,
    "tess": Role.TECHNICAL_OPERATIONS,
    "dina": Role.DPO,
    "dave": Role.DIRECTOR,
    "sal": Role.SUPPORT_AGENT,
}
BROWSER = {"Accept": "text/html"}


def luhn_complete(body: str) -> str:
    """``body`` with the Luhn check digit appended."""
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return body + str((10 - total % 10) % 10)


#: a Luhn-valid Visa number that is not a published test number
CARD = luhn_complete("453201511283036")
#: written the way a careless log line would
CARD_SPACED = " ".join(CARD[i : i + 4] for i in range(0, 16, 4))


def people(platform: Platform) -> dict[str, Actor]:
    """An account for each person of :data:`PEOPLE`, and the actor each acts as."""
    return {
        name: Actor(ActorType.STAFF, make_staff(platform, name, role), name)
        for name, role in PEOPLE.items()
    }


def plant(platform: Platform, name: str = "exports/orders-2026-03.csv") -> Path:
    """Write a file holding a full card number into the platform's var directory."""
    path = platform.settings.var_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "order,customer,card\n"
        f"A-1001,Ann Example,{CARD_SPACED}\n"
        "A-1002,Bob Example,paid by token\n",
        encoding="utf-8",
    )
    return path
