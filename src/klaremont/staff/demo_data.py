"""Demo staff for the embedded platform (DEMO ONLY: never seeded in production).

One account per main job, with fixed passwords printed at start-up so a reviewer can sign
in at once. The passwords pass the policy's strength rules (length, zxcvbn, blocklist,
no own words) and are published here, so they protect nothing: they exist only in
development databases, and ``klaremont serve`` seeds demo data only outside production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from klaremont.demo.service import DemoLogin
from klaremont.staff.permissions import Role
from klaremont.staff.service_accounts import NewAccount, create_account

if TYPE_CHECKING:
    import random
    import uuid

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 10
SURFACE = "staff console"


@dataclass(frozen=True)
class DemoStaff:
    """One demo account."""

    username: str
    full_name: str
    role: Role
    password: str
    manager: str | None


DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("derek", "Derek Dunmore", Role.DIRECTOR, "saffron-harbour-echoes-35", None),
    DemoStaff("ivan", "Ivan Osei", Role.ISO, "granite-orchard-whistle-27", "derek"),
    DemoStaff("dana", "Dana Pryce", Role.DPO, "amber-lighthouse-drifts-41", "derek"),
    DemoStaff("tara", "Tara Tolley", Role.TECHNICAL_OPERATIONS, "pebble-aurora-lantern-84", "ivan"),
    DemoStaff("erin", "Erin Ellery", Role.ENGINEER, "marble-falcon-drizzle-72", "ivan"),
    DemoStaff("felix", "Felix Fenwick", Role.FINANCE, "juniper-tide-compass-19", "derek"),
    DemoStaff("maya", "Maya Mercer", Role.MARKETING, "cobalt-prairie-sings-58", "derek"),
    DemoStaff("sam", "Sam Sutter", Role.SUPPORT_AGENT, "velvet-canyon-ripples-63", "dana"),
)

LOGINS = [
    DemoLogin(SURFACE, s.username, s.password, f"{s.role.value} (demo only)") for s in DEMO_STAFF
]


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Create the demo staff, vetted and trained, with their line managers."""
    del size  # the number of staff does not scale with the number of customers
    now = uow.clock.now()
    ids: dict[str, uuid.UUID] = {}
    for person in DEMO_STAFF:
        created = create_account(
            uow,
            NewAccount(
                username=person.username,
                full_name=person.full_name,
                work_email=f"{person.username}@klaremont.example",
                job_role=person.role,
                line_manager_id=ids.get(person.manager) if person.manager else None,
                password=person.password,
                vetted_on=(now - timedelta(days=rng.randint(120, 900))).date(),
                training_completed_at=now - timedelta(days=rng.randint(10, 200)),
            ),
            created_by="demo-seed",
        )
        ids[person.username] = created.account.id
    names = ", ".join(f"{s.username} ({s.role.value})" for s in DEMO_STAFF)
    return [f"staff: {len(DEMO_STAFF)} demo accounts: {names}"]
