"""Erasure: one transaction in foreign-key order, legal holds kept and listed, the person
restricted, the data key destroyed once nothing retained needs it (PP-R-ERASE, PP-KEEP,
IS-SENS-DISPOSE)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rights_support import TEST_ACTOR, seed_person
from sqlalchemy import func, select, text

from klaremont.audit.models import AuditEvent
from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.customers.models import (
    Address,
    ContactRecord,
    Customer,
    Invoice,
    Order,
    OrderLine,
    PaymentCard,
)
from klaremont.db.subjects import Subject
from klaremont.errors import Conflict, ValidationFailed
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.rights import erasure, fulfil, intake, ledger, service
from klaremont.rights.models import ErasureLedger, RightsRequest
from klaremont.rights.states import IntakeChannel, RequestKind, RequestState
from klaremont.rights.sweep import sweep

PERSONAL = (Customer, Address, PaymentCard, ContactRecord)


def _count(uow, model, subject_id):
    return uow.session.scalar(
        select(func.count()).select_from(model).where(model.subject_id == subject_id)
    )


def _erase(platform, person):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.ERASURE)
        return made.id, erasure.erase(uow, made.id)


@pytest.mark.policy("PP-R-ERASE", "PP-KEEP")
def test_erasure_keeps_held_invoices_and_deletes_the_rest(platform, alice, bob):
    """Personal rows go; invoices under the six-year hold stay with their orders, listed."""
    request_id, reply = _erase(platform, alice)
    assert reply.retained == {"invoices": 2, "orders": 2, "order_lines": 4}
    assert reply.deleted["customers"] == 1
    assert reply.deleted["addresses"] == 2
    assert reply.hold_until is not None
    assert reply.key_destroyed_at is None
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for model in PERSONAL:
            assert _count(uow, model, alice.subject_id) == 0, model.__tablename__
            assert _count(uow, model, bob.subject_id) > 0, model.__tablename__
        orders = uow.session.scalars(
            select(Order).where(Order.subject_id == alice.subject_id)
        ).all()
        assert {o.customer_id for o in orders} == {None}  # links to deleted rows are cleared
        assert {o.delivery_address_id for o in orders} == {None}
        invoices = uow.session.scalars(
            select(Invoice).where(Invoice.subject_id == alice.subject_id)
        ).all()
        assert {i.billing_name for i in invoices} == set(alice.invoice_values.values())
        subject = uow.session.get(Subject, alice.subject_id)
        assert subject.erased_at is not None
        assert subject.restricted_at is not None
        assert "invoices" in subject.restriction_reason
        assert subject.marketing_objection_at is not None
        request = service.get(uow, request_id)
        assert request.state is RequestState.FULFILLED
        assert request.customer_id is None  # the kept request no longer points at a deleted row
        assert json.loads(request.outcome)["retained"]["invoices"] == 2
        entry = uow.session.scalars(select(ErasureLedger)).one()
        assert entry.subject_ref == alice.subject_id
        assert entry.key_destroyed_at is None
        assert entry.hold_until == reply.hold_until
        deleted = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "personal.delete")
        ).one()
    for value in alice.canaries.values():
        assert value not in deleted  # the audit names tables and counts, never values
    assert platform.keystore.is_destroyed(alice.subject_id) is False


@pytest.mark.policy("IS-SENS-DISPOSE", "PP-KEEP")
def test_key_is_destroyed_when_the_last_hold_ends(platform, clock, alice):
    """The key waits for held invoices; once the hold ends shred-due deletes them and shreds."""
    _erase(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert erasure.shred_due(uow) == []
    clock.advance(timedelta(days=6 * 366))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert erasure.shred_due(uow) == [alice.subject_id]
    assert platform.keystore.is_destroyed(alice.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert _count(uow, Invoice, alice.subject_id) == 0
        assert _count(uow, Order, alice.subject_id) == 0
        assert uow.session.scalar(select(func.count()).select_from(OrderLine)) == 0
        entry = uow.session.scalars(select(ErasureLedger)).one()
        assert entry.key_destroyed_at is not None
    lines = ledger.read_file(ledger.ledger_file(platform.settings))
    assert lines[-1].key_destroyed_at is not None


@pytest.mark.policy("IS-SENS-DISPOSE", "PP-R-ERASE")
def test_nothing_held_means_the_key_goes_once_the_confirmation_is_sent(platform, clock):
    """Without held rows only the confirmation mail needs the key: once sent, it is shredded."""
    old = seed_person(platform, "old", invoice_age=timedelta(days=7 * 365))
    _, reply = _erase(platform, old)
    assert reply.retained == {}
    assert reply.hold_until is None
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert _count(uow, Invoice, old.subject_id) == 0
        notices = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject_id == old.subject_id)
        ).all()
        assert [n.template for n in notices] == ["request_updated"]  # spared: the confirmation
        assert erasure.shred_due(uow) == []  # still pending
        notices[0].status = MailStatus.SENT
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert erasure.shred_due(uow) == [old.subject_id]
    assert platform.keystore.is_destroyed(old.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert _count(uow, OutboxMessage, old.subject_id) == 0
        request = uow.session.scalars(select(RightsRequest)).one()
        assert service.details_of(request) == {}
        with pytest.raises(SubjectKeyDestroyed):
            platform.keystore.data_key(old.subject_id)


@pytest.mark.policy("PP-R-ERASE")
def test_erasure_is_refused_while_an_access_request_is_open(platform, alice):
    """DPA 2018 s.173: no erasure while the person's access request is unanswered; audited."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        pending = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE)
    with (
        platform.unit_of_work(actor=TEST_ACTOR) as uow,
        pytest.raises(erasure.ErasureBlocked) as blocked,
    ):
        erasure.erase(uow, made.id)
    assert pending.reference in blocked.value.detail
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        erasure.record_blocked(uow, made.id, blocked.value)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert _count(uow, Customer, alice.subject_id) == 1
        refused = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dsr.refuse")
        ).one()
        assert refused.outcome == "denied"
        fulfil.fulfil(uow, pending.id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert erasure.erase(uow, made.id).deleted["customers"] == 1


@pytest.mark.policy("PP-R-ERASE")
def test_erasure_is_one_transaction(platform, alice):
    """A failure after the deletes rolls every one of them back."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE)

    def erase_then_fail() -> None:
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            erasure.erase(uow, made.id)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        erase_then_fail()
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for model in PERSONAL:
            assert _count(uow, model, alice.subject_id) > 0
        assert uow.session.scalars(select(ErasureLedger)).all() == []
        assert service.get(uow, made.id).state is RequestState.VERIFIED
    assert ledger.read_file(ledger.ledger_file(platform.settings)) == []
    assert not platform.keystore.is_destroyed(alice.subject_id)


@pytest.mark.policy("PP-R-ERASE")
def test_only_verified_erasure_requests_erase(platform, alice, bob):
    """An unverified request, or a request of another kind, never erases anything."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        receipt = intake.submit_by_email(uow, alice.email, RequestKind.ERASURE)
        restriction = intake.submit_signed_in(uow, alice.identity, RequestKind.RESTRICTION)
        verified = intake.submit_signed_in(uow, bob.identity, RequestKind.ERASURE)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        with pytest.raises(service.TransitionRefused):
            erasure.erase(uow, receipt.request_id)
        with pytest.raises(ValidationFailed):
            erasure.erase(uow, restriction.id)
        with pytest.raises(ValidationFailed):
            fulfil.fulfil(uow, verified.id)  # an erasure goes through erase(), nothing else
        for person in (alice, bob):
            assert _count(uow, Customer, person.subject_id) == 1


@pytest.mark.policy("PP-R-ERASE")
def test_an_erased_person_cannot_be_asked_about_again(platform, alice):
    """After erasure no new request can be recorded for the person (nothing is held to act on)."""
    _erase(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(Conflict):
        service.create(
            uow,
            subject_id=alice.subject_id,
            customer_id=None,
            kind=RequestKind.ACCESS,
            channel=IntakeChannel.LETTER,
        )


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_sqlite_erasure_overwrites_deleted_content(platform, alice):
    """On SQLite the erasing connection has secure_delete on, so freed pages are zeroed."""
    if platform.engine.dialect.name != "sqlite":
        pytest.skip("secure_delete is a SQLite setting")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        sweep(uow, alice.subject_id, keep_held=True)
        assert uow.session.execute(text("PRAGMA secure_delete")).scalar() == 1
