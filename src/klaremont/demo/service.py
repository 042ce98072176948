"""Seeds demo data once, by asking every capability's ``demo_data`` module in order.

A capability that has demo data names a module in its declaration (``demo``) with
``ORDER: int``, ``seed(uow, rng, size) -> list[str]`` (summary lines) and optionally
``LOGINS: list[DemoLogin]``. Seeding is deterministic for a given seed number.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from klaremont import capabilities
from klaremont.audit.events import AuditAction
from klaremont.audit.jobs import verify_job
from klaremont.db.models import PlatformMeta
from klaremont.platform import Platform

SEEDED_KEY = "demo_seeded_at"


@dataclass(frozen=True)
class DemoSize:
    """How much demo data to make."""

    customers: int = 300
    seed: int = 20261124


@dataclass(frozen=True)
class DemoLogin:
    """A demo account printed at start-up (development only)."""

    surface: str
    username: str
    password: str
    note: str = ""
    second_factor: str = ""  # e.g. a demo authenticator key, printed beside the password


@dataclass
class SeedReport:
    """What seeding did."""

    seeded: bool
    lines: list[str] = field(default_factory=list)


def _seeders() -> list[ModuleType]:
    modules = [
        importlib.import_module(declared.demo)
        for declared in capabilities.capabilities()
        if declared.demo is not None
    ]
    return sorted(modules, key=lambda m: int(getattr(m, "ORDER", 100)))


def demo_logins() -> list[DemoLogin]:
    """Every demo login the capabilities offer."""
    logins: list[DemoLogin] = []
    for module in _seeders():
        logins.extend(getattr(module, "LOGINS", []))
    return logins


def is_seeded(platform: Platform) -> bool:
    """True once demo data has been seeded into this database."""
    with platform.unit_of_work() as uow:
        return uow.session.get(PlatformMeta, SEEDED_KEY) is not None


def seed(
    platform: Platform,
    size: DemoSize | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Seed every capability's demo data in one transaction, unless already seeded."""
    size = size or DemoSize()
    if is_seeded(platform):
        return SeedReport(seeded=False, lines=["demo data already present"])
    report = SeedReport(seeded=True)
    rng = random.Random(size.seed)  # noqa: S311 - deterministic demo data, not security
    with platform.unit_of_work() as uow:
        for module in _seeders():
            if progress:
                progress(module.__name__.split(".")[1])
            report.lines.extend(module.seed(uow, rng, size))
        uow.session.add(PlatformMeta(key=SEEDED_KEY, value=uow.clock.now().isoformat()))
        uow.audit(AuditAction.DEMO_SEED, details={"customers": size.customers, "seed": size.seed})
    # as the nightly job would: the fresh log is verified once, so its monitoring holds
    report.lines.append(f"audit: {verify_job(platform)}")
    return report
