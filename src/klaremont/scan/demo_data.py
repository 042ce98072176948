"""Demo scans (DEMO ONLY): one scan of the demo platform's own data at seed time, recorded as
the daily job records it, so the console and the live checks have a run to show.

The seed's own transaction is not committed while it scans, so this scan sees the demo's
files and the database as they were before the seed: the daily job scans it all again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.scan import service
from klaremont.scan.jobs import JOB_ACTOR

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 85  # late: after the capabilities that write files into the var directory


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Scan the platform's own data and record the run."""
    del rng, size
    result = service.scan_own_data(uow.platform.settings)
    acting, uow.actor = uow.actor, JOB_ACTOR  # recorded as the daily job records it
    try:
        reference = service.record(uow, result, raise_incident=True)
    finally:
        uow.actor = acting
    left = sum(result.counts().values())
    return [f"scan: {reference} of the platform's own data, {left} finding(s)"]
