"""Intake and identity: signed-in, by e-mail with a code, by staff; duplicates; the clock pause
(PP-R-ACCESS, PP-R-OBJECT, DP-PROMPT)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rights_support import TEST_ACTOR, latest_code, outbox_bodies, seed_person
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.db.subjects import Subject
from klaremont.errors import ValidationFailed
from klaremont.mail.models import OutboxMessage
from klaremont.rights import intake, service
from klaremont.rights.identity import MAX_ATTEMPTS
from klaremont.rights.models import RightsRequest, VerificationChallenge
from klaremont.rights.states import (
    IdentityMethod,
    IntakeChannel,
    ObjectionScope,
    RequestKind,
    RequestState,
    TransitionRefused,
)


def _request(platform, request_id):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        found = service.get(uow, request_id)
        uow.session.expunge(found)
        return found


@pytest.mark.policy("PP-R-ACCESS")
def test_signed_in_request_is_verified_at_once(platform, alice):
    """A signed-in customer's request is verified on receipt and acknowledged by mail."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
        assert made.state is RequestState.VERIFIED
        assert made.identity_method is IdentityMethod.SIGNED_IN
        assert made.routed_to == "dpo"
        request_id = made.id
    assert outbox_bodies(platform, alice.subject_id, "request_received")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.resource == f"dsr:{request_id}")
        ).all()
    assert actions == ["dsr.create", "dsr.verify"]


@pytest.mark.policy("PP-R-ACCESS", "DP-PROMPT")
def test_email_request_sends_a_code_to_the_address_on_file_and_pauses_the_clock(
    platform, clock, alice
):
    """The code goes to the address on file; only its digest is kept; pauses move the due date."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        receipt = intake.submit_by_email(uow, alice.email.upper(), RequestKind.ERASURE)
    request = _request(platform, receipt.request_id)
    assert request.state is RequestState.IDENTITY_PENDING
    before = request.due_on
    code = latest_code(platform, alice.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        message = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "verification_code")
        ).one()
        assert message.to_address == alice.email
        challenge = uow.session.scalars(select(VerificationChallenge)).one()
        assert code not in challenge.code_digest
        assert len(challenge.code_digest) == 64
    clock.advance(timedelta(days=3))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert intake.confirm_email_code(uow, receipt.request_id, code) is None  # expired
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        service.resend_code(uow, service.get(uow, receipt.request_id))
    code = latest_code(platform, alice.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        confirmed = intake.confirm_email_code(uow, receipt.request_id, code)
        assert confirmed is not None
        assert confirmed.state is RequestState.VERIFIED
        assert confirmed.paused_days == 3
        assert confirmed.due_on == before + timedelta(days=3)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert intake.confirm_email_code(uow, receipt.request_id, code) is None  # single use


@pytest.mark.policy("PP-R-ACCESS")
def test_unknown_address_gets_the_same_answer_and_nothing_is_stored(platform, alice):
    """An address that is no customer's yields a receipt too, and no request, code or mail."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        receipt = intake.submit_by_email(uow, "nobody@example.com", RequestKind.ACCESS)
        assert receipt.request_id is not None
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalars(select(RightsRequest)).all() == []
        assert uow.session.scalars(select(OutboxMessage)).all() == []
        assert intake.confirm_email_code(uow, receipt.request_id, "12345678") is None
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(ValidationFailed):
        intake.submit_by_email(uow, "not an address", RequestKind.ACCESS)


@pytest.mark.policy("PP-R-ACCESS")
def test_wrong_codes_are_counted_and_the_code_burns(platform, clock, alice):
    """Each wrong code is counted and kept; after the limit even the right code fails."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        receipt = intake.submit_by_email(uow, alice.email, RequestKind.ACCESS)
    code = latest_code(platform, alice.subject_id)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(MAX_ATTEMPTS):
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            assert intake.confirm_email_code(uow, receipt.request_id, wrong) is None
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert intake.confirm_email_code(uow, receipt.request_id, code) is None
        failures = uow.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "dsr.verify", AuditEvent.outcome == "failure"
            )
        ).all()
        events = [json.loads(e.details)["event"] for e in failures]
        assert events.count("identity-verification-failed") == MAX_ATTEMPTS + 1
        request = service.get(uow, receipt.request_id)
        service.resend_code(uow, request)
    fresh = latest_code(platform, alice.subject_id)
    clock.advance(timedelta(minutes=61))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert intake.confirm_email_code(uow, receipt.request_id, fresh) is None  # expired


@pytest.mark.policy("PP-R-ACCESS")
def test_staff_intake_sends_the_code_to_the_account_not_the_caller(platform, alice):
    """A phone request: the code goes to the address on the account and is read back."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_for_customer(
            uow, alice.reference, RequestKind.ACCESS, IntakeChannel.PHONE,
            details={"note": "caller says their address is attacker@example.net"},
        )  # fmt: skip
        request_id = made.id
    code = latest_code(platform, alice.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        addresses = [m.to_address for m in uow.session.scalars(select(OutboxMessage))]
        assert set(addresses) == {alice.email}
        request = service.get(uow, request_id)
        with pytest.raises(TransitionRefused):
            service.start(uow, request)
        assert intake.confirm_staff_code(uow, request, code)
        assert request.identity_method is IdentityMethod.STAFF_CODE
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(ValidationFailed):
        intake.submit_for_customer(uow, alice.reference, RequestKind.ACCESS, IntakeChannel.EMAIL)


@pytest.mark.policy("PP-R-ACCESS", "DP-PROMPT")
def test_duplicates_of_an_open_request_are_refused(platform, alice):
    """Same person and kind still open: refused, naming the open one; allowed again once closed."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        first = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
        reference = first.reference
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        with pytest.raises(service.DuplicateRequest) as duplicate:
            intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
        assert reference in duplicate.value.detail
        other = intake.submit_signed_in(uow, alice.identity, RequestKind.RESTRICTION)
        assert other.reference != reference
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        receipt = intake.submit_by_email(uow, alice.email, RequestKind.ACCESS)
        assert receipt.request_id == first.id  # the e-mail form learns nothing new
        service.refuse(uow, service.get(uow, first.id), "manifestly unfounded")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        again = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
        assert again.id != first.id


@pytest.mark.policy("PP-R-OBJECT")
def test_marketing_objection_is_immediate_even_before_identity(platform, alice):
    """An objection to marketing switches it off at once, even while the code is pending."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        receipt = intake.submit_by_email(
            uow, alice.email, RequestKind.OBJECTION, scope=ObjectionScope.MARKETING
        )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        subject = uow.session.get(Subject, alice.subject_id)
        assert subject.marketing_objection_at is not None
        assert service.get(uow, receipt.request_id).state is RequestState.IDENTITY_PENDING


@pytest.mark.policy("PP-R-OBJECT")
def test_objection_needs_a_scope_and_others_must_not_have_one(platform, alice):
    """The scope says what the objection is to; other kinds refuse one."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        with pytest.raises(ValidationFailed, match="scope"):
            intake.submit_signed_in(uow, alice.identity, RequestKind.OBJECTION)
        with pytest.raises(ValidationFailed, match="scope"):
            intake.submit_signed_in(
                uow, alice.identity, RequestKind.ACCESS, scope=ObjectionScope.MARKETING
            )


@pytest.mark.policy("PP-R-ACCESS")
def test_identity_by_documents_keeps_the_note_sealed(platform, alice):
    """The DPO may confirm identity from documents; the note is sealed, not audited."""
    person = seed_person(platform, "nomail", orders=0)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_for_customer(
            uow, person.reference, RequestKind.ACCESS, IntakeChannel.LETTER
        )
        intake.verify_by_document(uow, made, "passport checked by the DPO")
        assert made.identity_method is IdentityMethod.DOCUMENT
        assert service.details_of(made)["identity_note"] == "passport checked by the DPO"
        details = " ".join(uow.session.scalars(select(AuditEvent.details)))
    assert "passport" not in details


@pytest.mark.policy("PP-R-ACCESS", "DP-PROMPT")
def test_concurrent_duplicates_leave_exactly_one_request(platform, alice):
    """Two transactions racing to open the same request: one wins, the other is a duplicate."""
    import threading  # noqa: PLC0415 - only this test races

    first_inserted = threading.Event()
    outcomes: dict[str, object] = {}

    def first() -> None:
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            outcomes["first"] = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS).id
            first_inserted.set()
            threading.Event().wait(0.5)  # hold the transaction open while the second one tries

    def second() -> None:
        first_inserted.wait(10)
        try:
            with platform.unit_of_work(actor=TEST_ACTOR) as uow:
                made = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS)
                outcomes["second"] = made
        except service.DuplicateRequest as duplicate:
            outcomes["second"] = duplicate

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes["second"], service.DuplicateRequest)
    assert outcomes["second"].existing_id == outcomes["first"]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert len(service.list_requests(uow, subject_id=alice.subject_id)) == 1


@pytest.mark.policy("PP-R-ACCESS", "PP-R-ERASE")
def test_a_request_by_email_whose_code_is_never_used_is_closed_after_thirty_days(
    platform, clock, alice, bob
):
    """Anyone who knows an address can ask without signing in; a request nobody confirms is
    closed (the requester told at the account's address) once the last code sent is 30
    days old: asking again sends a fresh code and starts the 30 days again. A confirmed
    request, and one staff took by phone, are never closed this way."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        waiting = intake.submit_by_email(uow, alice.email, RequestKind.ERASURE).request_id
        phoned = intake.submit_for_customer(
            uow, bob.reference, RequestKind.ERASURE, IntakeChannel.PHONE
        ).id
        signed = intake.submit_signed_in(uow, bob.identity, RequestKind.ACCESS).id
    clock.advance(timedelta(days=20))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert intake.close_lapsed(uow) == []
        intake.submit_by_email(uow, alice.email, RequestKind.ERASURE)  # asked again: a new code
    clock.advance(timedelta(days=29))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert intake.close_lapsed(uow) == []
    clock.advance(timedelta(days=2))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        (closed,) = intake.close_lapsed(uow)
        found = service.get(uow, waiting)
        assert closed == found.reference
        assert found.state is RequestState.REFUSED
        assert found.refusal_reason == intake.LAPSED
        assert service.get(uow, phoned).state is RequestState.IDENTITY_PENDING
        assert service.get(uow, signed).state is RequestState.VERIFIED
        assert intake.close_lapsed(uow) == []  # closed once
    assert len(outbox_bodies(platform, alice.subject_id, "request_updated")) == 1
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:  # and the person may ask again
        again = intake.submit_by_email(uow, alice.email, RequestKind.ERASURE).request_id
        assert again != waiting
