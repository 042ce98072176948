"""Live checks of each right: hold when every request of the kind is answered in time and
does what the right promises; fail, naming the request, when one is late or broken."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rights_support import TEST_ACTOR
from sqlalchemy import delete

from klaremont.db.subjects import Subject
from klaremont.policy.live import REGISTRY, LiveStatus, StaticContext, load_all_checks
from klaremont.rights import fulfil, intake
from klaremont.rights.models import ExportArtifact, RightsRequest
from klaremont.rights.states import ObjectionScope, RequestKind


def _live(platform, clause: str):
    load_all_checks()
    return REGISTRY.run(clause, platform)


def _submit(platform, person, kind: RequestKind, **kwargs):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, kind, **kwargs)
        return made.id, made.reference


def _fulfil(platform, request_id, **kwargs) -> None:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        fulfil.fulfil(uow, request_id, **kwargs)


@pytest.mark.policy("PP-R-ACCESS")
def test_access_requests_in_time_with_their_copy(platform, clock, alice, bob):
    """A request answered with its copy holds; one left open past its month fails; a
    fulfilled one whose copy vanished while copies are kept fails."""
    done, done_ref = _submit(platform, alice, RequestKind.ACCESS)
    _fulfil(platform, done)
    held = _live(platform, "PP-R-ACCESS")
    assert held.status is LiveStatus.HOLDS, held.detail
    assert held.detail == "1 access request(s) closed on time; 0 open, none late"
    with platform.unit_of_work() as uow:
        uow.session.execute(delete(ExportArtifact).where(ExportArtifact.fmt == "html"))
    lost = _live(platform, "PP-R-ACCESS")
    assert lost.status is LiveStatus.FAILS
    assert lost.detail == f"access requests fulfilled but {done_ref}: no html copy"
    _, late_ref = _submit(platform, bob, RequestKind.ACCESS)
    clock.advance(timedelta(days=33))
    late = _live(platform, "PP-R-ACCESS")
    assert late.status is LiveStatus.FAILS
    assert late.detail.startswith(f"access requests past their deadline: {late_ref} (open, due ")


@pytest.mark.policy("PP-R-PORT")
def test_portability_closed_after_its_deadline_fails(platform, clock, alice):
    """A portability request fulfilled in time holds; closed after its deadline it fails."""
    made, reference = _submit(platform, alice, RequestKind.PORTABILITY)
    _fulfil(platform, made)
    held = _live(platform, "PP-R-PORT")
    assert held.status is LiveStatus.HOLDS, held.detail
    with platform.unit_of_work() as uow:
        request = uow.session.get(RightsRequest, made)
        request.closed_at = request.closed_at + timedelta(days=40)
    late = _live(platform, "PP-R-PORT")
    assert late.status is LiveStatus.FAILS
    assert f"{reference} (closed " in late.detail


@pytest.mark.policy("PP-R-RECTIFY")
def test_rectification_without_recorded_fields_fails(platform, alice):
    """A correction that records its fields holds; a fulfilled one with none recorded fails."""
    fixes = [
        {
            "record": "customers",
            "id": str(alice.customer_id),
            "field": "email",
            "value": "a@b.example",
        }
    ]
    made, reference = _submit(platform, alice, RequestKind.RECTIFICATION)
    _fulfil(platform, made, corrections=fixes)
    held = _live(platform, "PP-R-RECTIFY")
    assert held.status is LiveStatus.HOLDS, held.detail
    with platform.unit_of_work() as uow:
        uow.session.get(RightsRequest, made).outcome = json.dumps({"fields": []})
    broken = _live(platform, "PP-R-RECTIFY")
    assert broken.status is LiveStatus.FAILS
    assert broken.detail == (
        f"rectification requests fulfilled but {reference}: no corrected fields recorded"
    )


@pytest.mark.policy("PP-R-RESTRICT")
def test_a_restriction_undone_off_the_record_fails(platform, alice):
    """A fulfilled restriction holds while the person is restricted; cleared without an
    audited lift, it fails."""
    made, reference = _submit(platform, alice, RequestKind.RESTRICTION)
    _fulfil(platform, made)
    assert _live(platform, "PP-R-RESTRICT").status is LiveStatus.HOLDS
    with platform.unit_of_work() as uow:
        uow.session.get(Subject, alice.subject_id).restricted_at = None
    broken = _live(platform, "PP-R-RESTRICT")
    assert broken.status is LiveStatus.FAILS
    assert broken.detail == (
        f"restriction requests fulfilled but {reference}: the person is not restricted"
    )


@pytest.mark.policy("PP-R-OBJECT")
def test_a_marketing_objection_must_leave_marketing_off(platform, alice):
    """A marketing objection holds while the objection is recorded; cleared, it fails."""
    _, reference = _submit(platform, alice, RequestKind.OBJECTION, scope=ObjectionScope.MARKETING)
    held = _live(platform, "PP-R-OBJECT")
    assert held.status is LiveStatus.HOLDS, held.detail
    with platform.unit_of_work() as uow:
        uow.session.get(Subject, alice.subject_id).marketing_objection_at = None
    broken = _live(platform, "PP-R-OBJECT")
    assert broken.status is LiveStatus.FAILS
    assert broken.detail == (
        f"objection requests fulfilled but {reference}: marketing is not switched off"
    )


@pytest.mark.policy("PP-R-ACCESS", "PP-R-OBJECT")
def test_request_checks_without_a_database_say_unknown(platform):
    """No database to read: unknown, never holds."""
    static = StaticContext(settings=platform.settings, policy=platform.policy, clock=platform.clock)
    outcome = _live(static, "PP-R-OBJECT")
    assert outcome.status is LiveStatus.UNKNOWN
    assert outcome.detail == "data subject requests not inspected (no database in this context)"
