"""Incidents the platform raises itself (SP-REPORT: reported at once, by whoever notices).

Other capabilities announce what they notice and know nothing of incidents: the audit
capability announces a verification that found a break
(:class:`~klaremont.audit.announcements.AuditVerifyFailed`), the staff capability a burst of
account lockouts (:class:`~klaremont.staff.announcements.LockoutBurst`). This module turns
each into a reported incident, with the platform as the reporter, so the ISO is alerted and
the 72-hour clock starts exactly as for a person's report.

One cause raises one incident while it is open: a second failed verification, or the next
burst, adds an entry to the open incident's action log instead of opening another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.incidents import log
from klaremont.incidents.models import Incident
from klaremont.incidents.service import NewReport, report
from klaremont.incidents.states import OPEN_STATES, ActionKind, IncidentKind, Involvement

if TYPE_CHECKING:
    from klaremont.audit.announcements import AuditVerifyFailed
    from klaremont.platform import UnitOfWork
    from klaremont.staff.announcements import LockoutBurst

PLATFORM_NAME = "Klaremont platform"
AUDIT_CAUSE = "audit-verify"
LOCKOUT_CAUSE = "lockout-burst"


def _reporter(cause: str) -> Actor:
    return Actor(ActorType.SYSTEM, f"platform:{cause}", PLATFORM_NAME)


def _open_for(uow: UnitOfWork, cause: str) -> Incident | None:
    """The open incident this cause already raised, if any."""
    return uow.session.scalar(
        select(Incident)
        .where(
            Incident.reporter_id == _reporter(cause).id,
            Incident.state.in_(list(OPEN_STATES)),
        )
        .order_by(Incident.reported_at.desc())
        .limit(1)
    )


def raise_incident(
    uow: UnitOfWork,
    cause: str,
    *,
    kind: IncidentKind,
    what: str,
    again: str,
    systems: str,
    personal: Involvement = Involvement.UNSURE,
    card: Involvement = Involvement.UNSURE,
) -> str:
    """Report an incident for ``cause``, or log ``again`` on the one it already raised."""
    existing = _open_for(uow, cause)
    if existing is not None:
        log.append(uow, existing, ActionKind.INVESTIGATION, again)
        return f"noted on {existing.reference}"
    made = report(
        uow,
        NewReport(
            kind=kind,
            what_happened=what,
            personal_data=personal,
            card_data=card,
            systems=systems,
            reporter=_reporter(cause),
        ),
    )
    return f"raised {made.reference}"


def on_audit_verify_failed(uow: UnitOfWork, event: AuditVerifyFailed) -> str:
    """The audit log failed verification: someone may have altered the record of who did
    what, which is itself a suspected compromise."""
    where = f"event #{event.first_broken}" if event.first_broken is not None else "the log"
    what = (
        f"The audit log failed verification ({event.via}): the first break is at {where}, "
        f"of kind {event.kind.replace('_', ' ')}, with {event.findings} finding(s) in all. "
        "Records of who did what may have been altered or removed. Preserve the database "
        "and the checkpoint file as they are before anything is repaired."
    )
    again = (
        f"The audit log failed verification again ({event.via}): first break at {where} "
        f"({event.kind.replace('_', ' ')})."
    )
    return raise_incident(
        uow,
        AUDIT_CAUSE,
        kind=IncidentKind.SYSTEM_COMPROMISE,
        what=what,
        again=again,
        systems="audit log (database table and signed checkpoints)",
    )


def on_lockout_burst(uow: UnitOfWork, event: LockoutBurst) -> str:
    """Many staff accounts locked in a short window: a password-guessing or lock-out attack
    on staff sign-in may be under way."""
    what = (
        f"{event.lockouts} staff sign-in locks happened within {event.window_minutes} "
        "minutes: someone may be guessing staff passwords or locking staff out. Technical "
        "operations were alerted too. The audit log (action auth.lockout) shows the attempts "
        "and where they came from."
    )
    again = (
        f"Another burst: {event.lockouts} staff sign-in locks within "
        f"{event.window_minutes} minutes."
    )
    return raise_incident(
        uow,
        LOCKOUT_CAUSE,
        kind=IncidentKind.SYSTEM_COMPROMISE,
        what=what,
        again=again,
        systems="staff sign-in",
        personal=Involvement.NO,
    )
