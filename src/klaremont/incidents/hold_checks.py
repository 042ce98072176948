"""Live checks of phase 2b: legal holds kept (SP-IRP-EVIDENCE) and customer notices sent to
everyone counted (SP-IRP-NOTIFY).

- The hold: the watchers are plugged in (``subject_hold`` answers for incidents, reads
  are announced to ``personal_read``), and no person under a hold in force was erased,
  or had their data key destroyed, after the hold was placed.
- The notices: for every incident whose customers are recorded as told, each person
  counted has a breach notice in the outbox, and the count on the tracker is theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont import capabilities, holds, personal_reads
from klaremont.db.subjects import Subject
from klaremont.incidents import affected, high_alert
from klaremont.incidents.affected_models import IncidentAffected, IncidentHold
from klaremont.incidents.checks import _refs, _run
from klaremont.incidents.customer_notice import tracker_row
from klaremont.incidents.models import Incident
from klaremont.incidents.states import Decision, IncidentState
from klaremont.policy.live import CheckResult, LiveContext, live_check

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def _wired() -> list[str]:
    missing = []
    if affected.holds_on not in capabilities.extensions(holds.POINT):
        missing.append("incident holds are not plugged into subject_hold")
    if high_alert.on_read not in capabilities.extensions(personal_reads.POINT):
        missing.append("high alert is not plugged into personal_read")
    if not affected.lookup_plugged():
        missing.append("no customer directory answers customer_lookup")
    return missing


@live_check(
    "SP-IRP-EVIDENCE",
    reads="customers under an incident's legal hold still in force, against their erasure date "
    "and whether their data key was destroyed",
)
def held_customers_are_kept(ctx: LiveContext) -> CheckResult:
    """Legal holds and high alert are wired in, and nobody under a hold in force was
    erased or shredded after it was placed."""
    missing = _wired()
    if missing:
        return CheckResult(holds=False, detail="; ".join(missing))

    def check(uow: UnitOfWork) -> CheckResult:
        rows = uow.session.execute(
            select(Incident.reference, IncidentHold.placed_at, IncidentAffected.subject_ref)
            .join(IncidentHold, IncidentHold.incident_id == Incident.id)
            .join(IncidentAffected, IncidentAffected.incident_id == Incident.id)
            .where(IncidentHold.lifted_at.is_(None), Incident.state != IncidentState.DISMISSED)
        ).all()
        broken: list[str] = []
        for reference, placed_at, subject_ref in rows:
            subject = uow.session.get(Subject, subject_ref)
            erased_after = (
                subject is not None
                and subject.erased_at is not None
                and subject.erased_at >= placed_at
            )
            if erased_after or (
                uow.platform.keystore.is_destroyed(subject_ref)
                and (subject is None or subject.erased_at is None or erased_after)
            ):
                broken.append(reference)
        if broken:
            return CheckResult(
                holds=False,
                detail=f"a customer under a legal hold was erased or shredded: {_refs(broken)}",
            )
        incidents = len({reference for reference, _, _ in rows})
        return CheckResult(
            holds=True,
            detail=f"{len(rows)} customer(s) under the legal hold of {incidents} incident(s), "
            "all kept; erasure and the shred job ask subject_hold first",
        )

    return _run(ctx, check)


@live_check(
    "SP-IRP-NOTIFY",
    reads="incidents whose customers were told: each affected person's queued breach notice "
    "against the count in the notification tracker",
)
def customer_notices_went_to_everyone_counted(ctx: LiveContext) -> CheckResult:
    """Each incident recording its customers as told has a breach notice queued for every
    person counted."""

    def check(uow: UnitOfWork) -> CheckResult:
        incidents = list(uow.session.scalars(select(Incident).order_by(Incident.reference)))
        told_cases = 0
        people = 0
        broken: list[str] = []
        for incident in incidents:
            if tracker_row(uow, incident).decision is not Decision.SENT:
                continue
            listed = affected.affected(uow, incident)
            told = [row for row in listed if row.notice_sent_at is not None]
            if not told:
                continue  # told some other way (a decision recorded by hand)
            told_cases += 1
            people += len(told)
            counted = tracker_row(uow, incident).their_reference or ""
            if any(row.notice_message_ref is None for row in told) or not counted.startswith(
                f"{len(told)} "
            ):
                broken.append(incident.reference)
        if broken:
            return CheckResult(
                holds=False, detail=f"customer notices do not match the tracker: {_refs(broken)}"
            )
        return CheckResult(
            holds=True,
            detail=f"{told_cases} incident(s) told their customers through the outbox "
            f"({people} notice(s), one each)",
        )

    return _run(ctx, check)
