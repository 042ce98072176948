"""Holds from another capability (the ``subject_hold`` point, UK GDPR Art. 17(3)(e)): an
erasure is refused naming the hold, nothing deleted, the request left open; the deferred
shred leaves a held person's key and rows alone; both go ahead once the hold is gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hold_provider import holding
from rights_support import TEST_ACTOR
from sqlalchemy import func, select

from klaremont.audit.models import AuditEvent
from klaremont.customers.models import Customer, Invoice
from klaremont.rights import erasure, intake, service
from klaremont.rights.models import ErasureLedger
from klaremont.rights.states import RequestKind, RequestState


def _count(uow, model, subject_id):
    return uow.session.scalar(
        select(func.count()).select_from(model).where(model.subject_id == subject_id)
    )


def _request(platform, person):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return intake.submit_signed_in(uow, person.identity, RequestKind.ERASURE).id


@pytest.mark.policy("PP-R-ERASE", "SP-IRP-EVIDENCE")
def test_a_held_person_is_not_erased_and_the_request_stays_open(platform, alice, bob):
    request_id = _request(platform, alice)
    with holding(alice.subject_id):
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            with pytest.raises(erasure.ErasureHeld) as refused:
                erasure.erase(uow, request_id)
            uow.session.rollback()
            erasure.record_blocked(uow, request_id, refused.value)
        assert "legal hold for case LIT-7 (a claim in court)" in refused.value.detail
        assert "nothing was erased" in refused.value.detail
        assert refused.value.status == 409
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            assert _count(uow, Customer, alice.subject_id) == 1
            assert service.get(uow, request_id).state is not RequestState.FULFILLED
            assert uow.session.scalars(select(ErasureLedger)).all() == []
            refusal = uow.session.scalars(
                select(AuditEvent).where(AuditEvent.outcome == "denied")
            ).all()
            assert any('"erasure-held"' in e.details for e in refusal)
        # someone else, not held, is erased as usual while the hold stands
        bob_request = _request(platform, bob)
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            erasure.erase(uow, bob_request)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:  # the hold is gone
        reply = erasure.erase(uow, request_id)
    assert reply.deleted["customers"] == 1
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert _count(uow, Customer, alice.subject_id) == 0
        assert service.get(uow, request_id).state is RequestState.FULFILLED


@pytest.mark.policy("IS-SENS-DISPOSE", "SP-IRP-EVIDENCE")
def test_the_shred_job_leaves_a_held_person_alone(platform, clock, alice):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        erasure.erase(uow, intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE).id)
    clock.advance(timedelta(days=6 * 366))  # the law's hold on the invoices is over
    with holding(alice.subject_id):
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            assert erasure.shred_due(uow) == []
        assert not platform.keystore.is_destroyed(alice.subject_id)
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            assert _count(uow, Invoice, alice.subject_id) == 2  # kept while held
            report = erasure.reapply(uow)  # a restore re-applied: still not shredded
        assert report.keys_destroyed == 0
        assert not platform.keystore.is_destroyed(alice.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert erasure.shred_due(uow) == [alice.subject_id]
    assert platform.keystore.is_destroyed(alice.subject_id)
