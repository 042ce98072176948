"""Helpers of the compliance tests: the people, and a control broken on purpose."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from rights_support import TEST_ACTOR, seed_person

from klaremont.rights import intake
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import RequestKind
from klaremont.staff.permissions import Role

if TYPE_CHECKING:
    from klaremont.platform import Platform

PEOPLE = {
    "dave": Role.DIRECTOR,
    "dina": Role.DPO,
    "iris": Role.ISO,
    "sal": Role.SUPPORT_AGENT,
    "eve": Role.ENGINEER,
}
BROWSER = {"Accept": "text/html"}


def a_customer(platform: Platform) -> object:
    """A customer who can make a data-subject request."""
    return seed_person(platform, "ann")


def overdue_request(platform: Platform, person: object) -> str:
    """An access request whose month ended yesterday, unanswered; its reference."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.ACCESS)  # type: ignore[attr-defined]
        row = uow.session.get(RightsRequest, made.id)
        assert row is not None
        back = timedelta(days=40)  # received forty days ago: its month is over
        row.received_at -= back
        row.received_on -= back
        row.due_on -= back
        row.original_due_on -= back
        return str(made.reference)
