"""Live check that the response plan is tested every year (PCI DSS 12.10.2, SP-IRT).

A team "ready for deployment" is one that has run the plan: an exercise incident (reported
by the ISO with ``exercise`` set, run end to end and closed with every member's report)
closed within the last twelve months.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.clock import uk_date
from klaremont.incidents.models import Incident
from klaremont.incidents.states import IncidentState
from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database
from klaremont.policy.period import Period

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

NO_DATABASE = "exercises not inspected (no database in this context)"
EVERY = Period.parse("12m")


def latest_exercise(uow: UnitOfWork) -> Incident | None:
    """The exercise closed most recently, if any."""
    return uow.session.scalar(
        select(Incident)
        .where(Incident.exercise.is_(True), Incident.state == IncidentState.CLOSED)
        .order_by(Incident.closed_at.desc())
        .limit(1)
    )


def plan_tested(uow: UnitOfWork) -> CheckResult:
    """Whether an exercise was closed within the last twelve months."""
    latest = latest_exercise(uow)
    if latest is None or latest.closed_at is None:
        return CheckResult(holds=False, detail="the response plan has never been tested")
    due = EVERY.add_to(latest.closed_at)
    closed = uk_date(latest.closed_at).strftime("%-d %B %Y")
    if due < uow.clock.now():
        return CheckResult(
            holds=False,
            detail=f"the last test of the plan ({latest.reference}) closed on {closed}, "
            "more than twelve months ago",
        )
    return CheckResult(
        holds=True,
        detail=f"the plan was tested: {latest.reference} closed on {closed}; the next test "
        f"is due by {uk_date(due).strftime('%-d %B %Y')}",
    )


@live_check(
    "SP-IRT",
    reads="the latest exercise of the response plan: when it closed, against today less twelve "
    "months",
)
def the_plan_was_tested_this_year(ctx: LiveContext) -> CheckResult:
    """An exercise of the response plan closed within the last twelve months."""
    return with_database(ctx, plan_tested, without=NO_DATABASE)
