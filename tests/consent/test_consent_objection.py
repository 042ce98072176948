"""After an objection or a restriction, marketing stays off and only the person can undo it.

PP-R-OBJECT (an objection to marketing is absolute), PP-R-RESTRICT, PP-OPTOUT.
"""

from __future__ import annotations

import pytest
from consent_support import TEST_ACTOR, make_staff, make_subject, set_state, staff_headers
from fastapi.testclient import TestClient
from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType, Outcome
from klaremont.audit.models import AuditEvent
from klaremont.consent import objection, service
from klaremont.consent.actions import ConsentAction
from klaremont.consent.models import ConsentMethod, ConsentSource
from klaremont.policy.purposes import MarketingChannel
from klaremont.rights.intake import object_to_marketing
from klaremont.staff.permissions import Role
from klaremont.web.app import create_app

ALL_ON = {channel.value: True for channel in MarketingChannel}
ALL_OFF = dict.fromkeys(ALL_ON, False)


@pytest.fixture
def office(platform):
    """A client inside the office network."""
    with TestClient(
        create_app(platform), base_url="https://testserver", client=("127.0.0.1", 5000)
    ) as client:
        yield client


def _consented_objector(platform):
    """A person who said yes on every channel and then objected to marketing."""
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        proof = service.Proof(ConsentMethod.WEB_FORM, ConsentSource.ACCOUNT_CREATION)
        service.record_marketing(uow, subject_id, dict.fromkeys(MarketingChannel, True), proof)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert object_to_marketing(uow, subject_id)
    return subject_id


def _denials(platform, subject_id):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == ConsentAction.CONSENT_CHANGE,
                AuditEvent.resource == f"subject:{subject_id}",
                AuditEvent.outcome == Outcome.DENIED,
            )
        ).all()
        return [r.details_dict() for r in rows]


def _records(platform, subject_id):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return len(service.marketing_history(uow.session, subject_id))


@pytest.mark.policy("PP-R-OBJECT", "PP-OPTOUT")
def test_the_consent_state_shows_the_objection_not_the_old_yeses(platform, office):
    """After an objection every channel reads false; the recorded choices stay visible apart."""
    subject_id = _consented_objector(platform)
    headers = staff_headers(office, make_staff(platform, "dora", Role.DPO))
    state = office.get(
        f"/api/consent/subjects/{subject_id}?purpose=legal_obligation", headers=headers
    ).json()
    assert state["marketing"] == ALL_OFF
    assert state["marketing_objection"] is True
    assert state["marketing_objected_at"] is not None
    assert state["marketing_recorded"] == ALL_ON


@pytest.mark.policy("PP-R-OBJECT", "IS-SENS-CONSENT")
def test_staff_cannot_opt_an_objector_back_in(platform, office):
    """A phone opt-in for an objector is refused (403 naming the rule), audited, not recorded."""
    subject_id = _consented_objector(platform)
    headers = staff_headers(office, make_staff(platform, "dora", Role.DPO))
    before = _records(platform, subject_id)
    response = office.post(
        f"/api/consent/subjects/{subject_id}/marketing",
        json={"choices": {"email": True}, "method": "phone"},
        headers=headers,
    )
    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["type"].endswith("/marketing-opt-in-refused")
    assert "objected to marketing" in problem["detail"]
    assert any("only they can lift" in e["rule"] for e in problem["errors"])
    assert _records(platform, subject_id) == before
    assert _denials(platform, subject_id) == [
        {"kind": "marketing", "refused": ["email"], "reason": "objection"}
    ]
    # switching off is still allowed
    withdrawn = office.post(
        f"/api/consent/subjects/{subject_id}/marketing/withdraw",
        json={"method": "paper"},
        headers=headers,
    )
    assert withdrawn.status_code == 200, withdrawn.text


@pytest.mark.policy("PP-R-RESTRICT", "IS-SENS-CONSENT")
def test_staff_cannot_opt_a_restricted_person_in(platform, office, clock):
    """While processing is restricted, no opt-in is recorded and the refusal is audited."""
    subject_id = make_subject(platform)
    set_state(platform, subject_id, restricted_at=clock.now())
    headers = staff_headers(office, make_staff(platform, "dora", Role.DPO))
    response = office.post(
        f"/api/consent/subjects/{subject_id}/marketing",
        json={"choices": {"post": True}, "method": "paper"},
        headers=headers,
    )
    assert response.status_code == 403
    assert "restricted" in response.json()["detail"]
    assert _records(platform, subject_id) == 0
    assert _denials(platform, subject_id)[0]["reason"] == "restricted"
    state = office.get(
        f"/api/consent/subjects/{subject_id}?purpose=legal_obligation", headers=headers
    ).json()
    assert state["restricted"] is True
    assert state["marketing"] == ALL_OFF


@pytest.mark.policy("PP-R-OBJECT")
def test_nobody_but_the_person_lifts_an_objection(platform):
    """Staff and system actors are refused (audited); the objection stays."""
    subject_id = _consented_objector(platform)
    for actor in (
        Actor(ActorType.STAFF, "00000000-0000-0000-0000-000000000001", "dora"),
        TEST_ACTOR,
    ):
        with (
            pytest.raises(objection.MarketingOptInRefused),
            platform.unit_of_work(actor=actor) as uow,
        ):
            objection.lift_objection(uow, subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert objection.standing(uow.session, subject_id).objected_at is not None
    assert len(_denials(platform, subject_id)) == 2


@pytest.mark.policy("PP-R-OBJECT")
def test_an_objection_wins_over_a_ticked_box_at_collection(platform):
    """A later purchase with 'send me offers' ticked records no yes for an objector."""
    subject_id = _consented_objector(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        service.capture_at_collection(
            uow,
            subject_id,
            {MarketingChannel.EMAIL: True},
            source=ConsentSource.WEBSITE_PURCHASE,
        )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        state = service.marketing_state(uow.session, subject_id)
    assert state[MarketingChannel.EMAIL] is False
