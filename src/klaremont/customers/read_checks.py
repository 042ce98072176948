"""Live checks of how personal data was read, from the audit log (DP-PURPOSE, PP-COMBINE).

- DP-PURPOSE: every read of personal data in the last day names a registered
  purpose, touches only the categories that purpose may, and -- when a staff member did
  it -- a purpose one of their roles may use.
- PP-COMBINE: every single customer view read in the online audit log respected the
  person's choices: none of a restricted person for anything but a legal obligation, and
  none for marketing of a person who had objected.

Without a database each says "unknown".
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from klaremont.audit.encoding import format_timestamp, parse_timestamp
from klaremont.audit.events import ActorType, Outcome
from klaremont.audit.models import AuditEvent
from klaremont.customers.actions import CustomerAction
from klaremont.db.subjects import Subject
from klaremont.policy.live import CheckResult, LiveContext, inspect_database, live_check
from klaremont.policy.purposes import Purpose
from klaremont.purposes.register import categories_for
from klaremont.staff.permissions import purposes_of
from klaremont.staff.service_accounts import roles_of

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

DAY = timedelta(days=1)
PURPOSES = frozenset(p.value for p in Purpose)
#: the canonical JSON of a combined view's read event carries this (sorted, compact keys)
VIEW_MARK = '"view":true'


def _names(found: list[str]) -> str:
    shown = "; ".join(found[:3])
    return shown + (f" and {len(found) - 3} more" if len(found) > 3 else "")  # noqa: PLR2004


def _problem(uow: UnitOfWork, event: AuditEvent) -> str | None:
    """Why one read event breaks purpose limitation, or None."""
    at = f"event #{event.seq}"
    if event.purpose not in PURPOSES:
        return f"{at}: no registered purpose ({event.purpose or 'none'})"
    purpose = Purpose(event.purpose)
    categories = set(json.loads(event.details).get("categories") or [])
    beyond = sorted(categories - {c.value for c in categories_for(purpose)})
    if beyond:
        return f"{at}: {', '.join(beyond)} read for {purpose.value}"
    if event.actor_type == ActorType.STAFF.value:
        try:
            account_id = uuid.UUID(event.actor_id)
        except ValueError:
            return f"{at}: a staff reader who is no account"
        if purpose not in purposes_of(roles_of(uow, account_id)):
            return f"{at}: {purpose.value} is not a purpose of the reader's roles"
    return None


@live_check(
    "DP-PURPOSE",
    reads="successful personal-data reads in the audit log of the last day, each purpose against "
    "the roles of the person who read",
)
def every_read_names_an_allowed_purpose(ctx: LiveContext) -> CheckResult:
    """Every personal-data read of the last day names a purpose its reader may use."""

    def check(uow: UnitOfWork) -> CheckResult:
        since = format_timestamp(uow.clock.now() - DAY)
        events = uow.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == CustomerAction.PERSONAL_DATA_READ.value,
                AuditEvent.outcome == Outcome.SUCCESS.value,
                AuditEvent.occurred_at >= since,
            )
        ).all()
        bad = [problem for event in events if (problem := _problem(uow, event)) is not None]
        if bad:
            return CheckResult(
                holds=False, detail=f"personal data used outside its purpose: {_names(bad)}"
            )
        return CheckResult(
            holds=True,
            detail=f"{len(events)} read(s) of personal data in the last day, "
            "each for a purpose its reader's roles allow",
        )

    return inspect_database(ctx, check, what="personal-data reads")


@live_check(
    "PP-COMBINE",
    reads="single customer views read in the online audit log, each against the person's "
    "restriction or marketing objection at that time",
)
def combined_views_respect_restriction_and_objection(ctx: LiveContext) -> CheckResult:
    """No single customer view of a restricted person (beyond legal needs) or, for
    marketing, of a person who objected."""

    def check(uow: UnitOfWork) -> CheckResult:
        online = uow.clock.now() - relativedelta(months=uow.policy.audit_archive.online_months)
        events = uow.session.execute(
            select(AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.resource, AuditEvent.purpose)
            .where(
                AuditEvent.action == CustomerAction.PERSONAL_DATA_READ.value,
                AuditEvent.occurred_at >= format_timestamp(online),
                AuditEvent.details.contains(VIEW_MARK),
            )
            .order_by(AuditEvent.seq)
        ).all()
        bad: list[str] = []
        for seq, occurred, resource, purpose in events:
            subject = _subject(uow, resource)
            if subject is None:
                continue
            when = parse_timestamp(occurred)
            if (
                subject.restricted_at is not None
                and subject.restricted_at <= when
                and purpose != Purpose.LEGAL_OBLIGATION.value
            ):
                bad.append(f"event #{seq}: a restricted person's view read for {purpose}")
            elif (
                purpose == Purpose.MARKETING.value
                and subject.marketing_objection_at is not None
                and subject.marketing_objection_at <= when
            ):
                bad.append(f"event #{seq}: an objector's view read for marketing")
        if bad:
            return CheckResult(
                holds=False, detail=f"combined views against a choice: {_names(bad)}"
            )
        return CheckResult(
            holds=True,
            detail=f"{len(events)} single customer view(s) read in the online audit log, none "
            "against a restriction or objection",
        )

    return inspect_database(ctx, check, what="single customer views")


def _subject(uow: UnitOfWork, resource: str | None) -> Subject | None:
    if not resource or not resource.startswith("subject:"):
        return None
    try:
        return uow.session.get(Subject, uuid.UUID(resource.removeprefix("subject:")))
    except ValueError:
        return None
