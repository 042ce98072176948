"""Live checks the scans of Klaremont's own data prove (IS-SENS-TRACK, IS-SENS-CVV,
IS-SENS-SAFE).

Input holding track data or a card code is refused where it arrives (the card guard); the
daily scan proves none rests anywhere the platform keeps data. A check fails when no scan
of the platform's own data that looked for its kind finished in the last two days (the
daily job stopped), or when the latest one found some that no allow-list entry accepts.
Without a database (the policy trace run from settings alone) each answers unknown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from klaremont.detectors.kinds import Kind
from klaremont.display import uk_datetime
from klaremont.policy.live import (
    CheckResult,
    LiveContext,
    RelatedRecord,
    inspect_database,
    live_check,
    staff_link,
)
from klaremont.scan import service
from klaremont.scan.models import ScanRun

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

WHAT: Final = "scans of the platform's own data"
#: the scan runs daily: two days without one means the job has stopped
FRESH: Final = timedelta(days=2)
_LOOK_BACK: Final = 50


def latest_looking_for(uow: UnitOfWork, kind: Kind) -> ScanRun | None:
    """The latest scan of the platform's own data that looked for ``kind``."""
    runs = uow.session.scalars(
        select(ScanRun)
        .where(ScanRun.own_data.is_(True))
        .order_by(ScanRun.finished_at.desc(), ScanRun.reference.desc())
        .limit(_LOOK_BACK)
    )
    for run in runs:
        if kind.value in run.kinds.split(","):
            return run
    return None


def _link(run: ScanRun) -> tuple[RelatedRecord, ...]:
    """The scan behind an answer, linking to its page."""
    return (staff_link(f"Scan {run.reference}", "scans", run.reference),)


def _proved_absent(ctx: LiveContext, kind: Kind, what: str) -> CheckResult:
    def check(uow: UnitOfWork) -> CheckResult:
        run = latest_looking_for(uow, kind)
        if run is None:
            return CheckResult(
                holds=False, detail=f"no scan of the platform's own data has looked for {what}"
            )
        when = uk_datetime(run.finished_at)
        records = _link(run)
        if uow.clock.now() - run.finished_at > FRESH:
            return CheckResult(
                holds=False,
                detail=f"the last scan of the platform's own data ({run.reference}, {when}) "
                "is more than two days old",
                records=records,
            )
        found = service.counts(run).get(kind, 0)
        if found:
            return CheckResult(
                holds=False,
                detail=f"scan {run.reference} ({when}) found {found} item(s) of {what} at rest",
                records=records,
            )
        if run.problems:
            return CheckResult(
                holds=False,
                detail=f"scan {run.reference} ({when}) could not read {run.problems} place(s), "
                "so it proves nothing there",
                records=records,
            )
        return CheckResult(
            holds=True,
            detail=f"scan {run.reference} ({when}) found no {what} at rest",
            records=records,
        )

    return inspect_database(ctx, check, what=WHAT)


@live_check(
    "IS-SENS-TRACK",
    reads="the latest 50 scans of the platform's own data: the newest that looked for track "
    "data, when it finished, what it found and the places it could not read",
)
def no_track_data_at_rest(ctx: LiveContext) -> CheckResult:
    """A scan of the platform's own data in the last two days found no track data."""
    return _proved_absent(ctx, Kind.TRACK, "magnetic-stripe track data")


@live_check(
    "IS-SENS-CVV",
    reads="the latest 50 scans of the platform's own data: the newest that looked for card "
    "codes, when it finished, what it found and the places it could not read",
)
def no_card_code_at_rest(ctx: LiveContext) -> CheckResult:
    """A scan of the platform's own data in the last two days found no card code."""
    return _proved_absent(ctx, Kind.CARD_CODE, "card security codes")


@live_check(
    "IS-SENS-SAFE",
    reads="the latest 50 scans of the platform's own data: the newest that looked for card "
    "numbers, what it found outside the card vault and the places it could not read",
)
def card_numbers_only_in_the_vault(ctx: LiveContext) -> CheckResult:
    """The latest scan of the platform's own data found no card number outside the vault
    (the vault keeps them encrypted, so a scan of the bytes never sees one there)."""

    def check(uow: UnitOfWork) -> CheckResult:
        run = latest_looking_for(uow, Kind.CARD)
        if run is None:
            return CheckResult(
                holds=True,
                detail="no scan of the platform's own data for card numbers recorded yet",
            )
        found = service.counts(run).get(Kind.CARD, 0)
        if found:
            return CheckResult(
                holds=False,
                detail=f"scan {run.reference} found {found} card number(s) outside the card vault",
                records=_link(run),
            )
        if run.problems:
            return CheckResult(
                holds=False,
                detail=f"scan {run.reference} could not read {run.problems} place(s), "
                "so it proves nothing there",
                records=_link(run),
            )
        return CheckResult(
            holds=True,
            detail=f"scan {run.reference} found no card number outside the card vault",
            records=_link(run),
        )

    return inspect_database(ctx, check, what=WHAT)
