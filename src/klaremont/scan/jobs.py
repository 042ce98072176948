"""The daily scan of Klaremont's own data (IS-SENS-TRACK, IS-SENS-CVV, PCI DSS 12.10.7).

The job scans the var directory (the embedded database and its write-ahead log, the
keystore, keys, audit checkpoints, backups, ledgers and exports) and the data store and
keystore when they are PostgreSQL, for card numbers, track data and card codes; records the
run; and, when any remains that no allow-list entry accepts, has an incident raised for the
ISO. The live checks of the two clauses read the latest run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.audit.events import Actor, ActorType
from klaremont.scan import service

if TYPE_CHECKING:
    from klaremont.platform import Platform

#: who the recorded run and its audit event name as having started it
JOB_ACTOR = Actor(ActorType.SYSTEM, "job:scan-self", "Daily scan (scheduled job)")


def run_self(platform: Platform) -> str:
    """Scan, record, raise; one line saying what was found."""
    result = service.scan_own_data(platform.settings)
    with platform.unit_of_work(actor=JOB_ACTOR) as uow:
        reference = service.record(uow, result, raise_incident=True)
        run = service.get(uow, reference)
        found, incident = run.card_data, run.incident
    megabytes = result.bytes / 1e6
    if not found:
        return f"self-scan {reference}: {megabytes:.1f} MB, no card data at rest"
    return (
        f"self-scan {reference}: {megabytes:.1f} MB, {found} item(s) of card data at rest; "
        f"{incident or 'no incident raised'}"
    )
