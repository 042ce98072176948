"""Demo staff for the embedded platform (DEMO ONLY: never seeded in production).

One account per main job, with fixed passwords printed at start-up so a reviewer can sign
in at once. The passwords pass the policy's strength rules (length, zxcvbn, blocklist,
no own words) and are published here, so they protect nothing: they exist only in
development databases, and ``klaremont serve`` seeds demo data only outside production.
Accounts whose roles need a second factor (PCI DSS 8.4.1) are enrolled with a fixed TOTP
key, printed beside the password: add it to an authenticator app to sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from klaremont.demo.service import DemoLogin
from klaremont.staff.permissions import Role
from klaremont.staff.service_accounts import NewAccount, create_account
from klaremont.staff.service_mfa import enrol_known_key

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
    totp_key: str = ""  # a published demo key: protects nothing, exists only in demo data
    job_title: str | None = None
    seniority: int | None = None


# The passwords and TOTP keys below are published demo values (see the module docstring).
DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff(
        "derek",
        "Derek Dunmore",
        Role.DIRECTOR,
        "saffron-harbour-echoes-35",
        None,
        "DUJAZ76CUCRKXJSOKZHDAENPT66QRCVW",
        job_title="Managing Director",
        seniority=10,
    ),
    DemoStaff(
        "ivan",
        "Ivan Osei",
        Role.ISO,
        "granite-orchard-whistle-27",
        "derek",
        "62SUHKQPP4RAYNUFKDN5GJ5UGCB47R7R",
        job_title="Information Security Officer",
        seniority=8,
    ),
    DemoStaff(
        "dana",
        "Dana Pryce",
        Role.DPO,
        "amber-lighthouse-drifts-41",
        "derek",
        "CWU5L3SDKWFLYNYUYULEATL3RNAFUFTY",
        job_title="Data Protection Officer",
        seniority=8,
    ),
    DemoStaff(
        "tara",
        "Tara Tolley",
        Role.TECHNICAL_OPERATIONS,
        "pebble-aurora-lantern-84",
        "ivan",
        "MS6DCNYOPOA74P7DSRHAH5VAZ2TEL24J",
        job_title="Technical Operations Lead",
        seniority=6,
    ),
    DemoStaff(
        "erin",
        "Erin Ellery",
        Role.ENGINEER,
        "marble-falcon-drizzle-72",
        "ivan",
        job_title="Senior Engineer",
        seniority=7,
    ),
    DemoStaff(
        "felix",
        "Felix Fenwick",
        Role.FINANCE,
        "juniper-tide-compass-19",
        "derek",
        "R5QPM5VI2UX3QEQGAFDBG5DGOD5SBMIJ",
        job_title="Finance Manager",
        seniority=6,
    ),
    DemoStaff(
        "maya",
        "Maya Mercer",
        Role.MARKETING,
        "cobalt-prairie-sings-58",
        "derek",
        job_title="Marketing Executive",
        seniority=4,
    ),
    DemoStaff(
        "sam",
        "Sam Sutter",
        Role.SUPPORT_AGENT,
        "velvet-canyon-ripples-63",
        "dana",
        "5ASMYGRRPAQOSPEO2H2WBINQYY53AQM3",
        job_title="Customer Support Agent",
        seniority=3,
    ),
    # the incident response team's other seats (SP-IRT-MEMBERS)
    DemoStaff(
        "devon",
        "Devon Dale",
        Role.ENGINEER,
        "harbour-thistle-meadow-46",
        "ivan",
        job_title="Development Manager",
        seniority=7,
    ),
    DemoStaff(
        "alex",
        "Alex Arden",
        Role.SUPPORT_AGENT,
        "copper-willow-beacon-53",
        "derek",
        "6JRPD53XUW2PL77IQFL3FUUCNCLIC22O",
        job_title="Account Manager",
        seniority=5,
    ),
)

LOGINS = [
    DemoLogin(
        SURFACE,
        s.username,
        s.password,
        f"{s.role.value} (demo only)",
        second_factor=f"TOTP key {s.totp_key}" if s.totp_key else "",
    )
    for s in DEMO_STAFF
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
                job_title=person.job_title,
                seniority=person.seniority,
            ),
            created_by="demo-seed",
        )
        ids[person.username] = created.account.id
        if person.totp_key:
            enrol_known_key(uow, created.account, person.totp_key)
    names = ", ".join(f"{s.username} ({s.role.value})" for s in DEMO_STAFF)
    return [f"staff: {len(DEMO_STAFF)} demo accounts: {names}"]
