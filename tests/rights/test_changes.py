"""Rectification, restriction and objection (PP-R-RECTIFY, DP-ACCURATE, PP-R-RESTRICT,
PP-R-OBJECT, DP-DPO)."""

from __future__ import annotations

import json

import pytest
from rights_support import TEST_ACTOR
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.customers.models import Address, Customer
from klaremont.db.subjects import Subject
from klaremont.errors import NotFound, PurposeRefused, ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import Purpose
from klaremont.purposes.decide import authorise
from klaremont.rights import changes, fulfil, intake, service
from klaremont.rights.states import ObjectionScope, RequestKind, RequestState


def _correction(record, row_id, field, value):
    return {"record": record, "id": str(row_id), "field": field, "value": value}


@pytest.mark.policy("PP-R-RECTIFY", "DP-ACCURATE")
def test_rectification_changes_the_fields_and_audits_names_only(platform, alice):
    """The corrected values are stored; the audit names the fields, never the old or new values."""
    fixes = [
        _correction("customers", alice.customer_id, "email", "alice.new@example.com"),
        _correction("addresses", alice.address_ids[0], "postcode", "YO1 7HH"),
    ]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(
            uow, alice.identity, RequestKind.RECTIFICATION, details={"corrections": fixes}
        )
        done = fulfil.fulfil(uow, made.id)
    assert done.outcome == {"fields": ["addresses.postcode", "customers.email"]}
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, alice.customer_id).email == "alice.new@example.com"
        assert uow.session.get(Address, alice.address_ids[0]).postcode == "YO1 7HH"
        found = uow.session.scalars(
            select(Customer).where(Customer.email.matches("ALICE.NEW@example.com", uow.session))
        ).one()
        assert found.id == alice.customer_id  # the blind index follows the correction
        details = [
            json.loads(d)
            for d in uow.session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "personal.update")
            )
        ]
    assert details[0]["fields"] == ["addresses.postcode", "customers.email"]
    text = json.dumps(details)
    for value in ("alice.new@example.com", "YO1 7HH", alice.email):
        assert value not in text


@pytest.mark.policy("PP-R-RECTIFY")
def test_a_correction_cannot_reach_another_persons_record(platform, alice, bob):
    """Naming Bob's record in Alice's correction is answered as not found, and nothing changes."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.RECTIFICATION)
    fixes = [_correction("customers", bob.customer_id, "name", "Hijacked")]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(NotFound):
        fulfil.fulfil(uow, made.id, corrections=fixes)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, bob.customer_id).name == bob.canaries["customers.name"]


@pytest.mark.policy("PP-R-RECTIFY")
@pytest.mark.parametrize(
    ("fix", "field"),
    [
        ({"record": "invoices", "id": "x", "field": "billing_name", "value": "x"}, "record"),
        ({"record": "customers", "id": "x", "field": "password_hash", "value": "x"}, "field"),
        ({"record": "customers", "id": "not-a-uuid", "field": "name", "value": "x"}, "id"),
        ({"record": "addresses", "id": "00000000-0000-0000-0000-000000000000",
          "field": "country", "value": "Britain"}, "value"),
        ({"record": "customers", "id": "00000000-0000-0000-0000-000000000000",
          "field": "date_of_birth", "value": "1/2/80"}, "value"),
        ({"record": "customers", "id": "00000000-0000-0000-0000-000000000000",
          "field": "date_of_birth", "value": "2026-02-30"}, "value"),
        ({"record": "customers", "id": "00000000-0000-0000-0000-000000000000",
          "field": "date_of_birth", "value": "0001-01-01"}, "value"),
    ],
)  # fmt: skip
def test_corrections_are_validated_naming_the_field(fix, field):
    """Only the listed records and fields, with well-formed values, can be corrected."""
    with pytest.raises(ValidationFailed) as refused:
        changes.parse_corrections([fix])
    assert refused.value.problems[0].field == f"corrections[0].{field}"


@pytest.mark.policy("PP-R-RECTIFY")
def test_corrections_name_only_the_persons_own_records_and_read_in_words(platform, alice, bob):
    """``check_owned`` refuses Bob's record in Alice's request (made, not only carried out);
    staff read a correction as the field, whose record and the new value, never an id."""
    mine = changes.parse_corrections(
        [
            _correction("customers", alice.customer_id, "name", "Alice King"),
            _correction("addresses", alice.address_ids[0], "town", "York"),
        ]
    )
    theirs = changes.parse_corrections([_correction("customers", bob.customer_id, "name", "X")])
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        changes.check_owned(uow, alice.subject_id, mine)
        with pytest.raises(ValidationFailed) as refused:
            changes.check_owned(uow, alice.subject_id, theirs)
        assert refused.value.problems[0].field == "corrections[0].id"
        lines = changes.described(
            uow, [_correction("customers", alice.customer_id, "name", "Alice King")]
        )
        reference = uow.session.get(Customer, alice.customer_id).reference
        unreadable = changes.described(uow, [{"record": "invoices"}])
    assert lines == [f"Name of the account {reference}: Alice King"]
    assert str(alice.customer_id) not in " ".join(lines)
    assert unreadable == ["(the corrections asked for could not be read)"]


@pytest.mark.policy("PP-R-RESTRICT")
def test_restriction_leaves_storage_only(platform, alice):
    """A restricted person's data is kept; the purpose check refuses every use but legal duties."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.RESTRICTION)
        fulfil.fulfil(uow, made.id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        subject = uow.session.get(Subject, alice.subject_id)
        assert subject.restricted_at is not None
        assert service.get(uow, made.id).state is RequestState.FULFILLED
        assert uow.session.get(Customer, alice.customer_id).name  # still stored
    with platform.unit_of_work() as uow, pytest.raises(PurposeRefused):
        authorise(
            uow,
            subject=alice.subject_id,
            purpose=Purpose.ORDER_PROCESSING,
            categories=[DataCategory.IDENTITY],
        )
    with platform.unit_of_work() as uow:
        authorise(
            uow,
            subject=alice.subject_id,
            purpose=Purpose.LEGAL_OBLIGATION,
            categories=[DataCategory.INVOICES],
        )
        with pytest.raises(ValidationFailed):
            changes.lift_restriction(uow, alice.subject_id, "x")
        changes.lift_restriction(uow, alice.subject_id, "accuracy confirmed with the customer")
        assert uow.session.get(Subject, alice.subject_id).restricted_at is None


@pytest.mark.policy("PP-R-OBJECT")
def test_marketing_objection_switches_marketing_off_at_once(platform, alice):
    """A signed-in objection to marketing is fulfilled immediately; marketing is then refused."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(
            uow, alice.identity, RequestKind.OBJECTION, scope=ObjectionScope.MARKETING
        )
        assert made.state is RequestState.FULFILLED
        assert uow.session.get(Subject, alice.subject_id).marketing_objection_at is not None
    with platform.unit_of_work() as uow, pytest.raises(PurposeRefused):
        authorise(
            uow,
            subject=alice.subject_id,
            purpose=Purpose.MARKETING,
            categories=[DataCategory.CONTACT],
        )


@pytest.mark.policy("PP-R-OBJECT", "DP-DPO")
def test_objection_to_holding_data_goes_to_the_dpo(platform, alice, bob):
    """An objection to processing waits for the DPO; upheld restricts, rejected refuses."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        first = intake.submit_signed_in(
            uow, alice.identity, RequestKind.OBJECTION, scope=ObjectionScope.PROCESSING
        )
        done = fulfil.fulfil(uow, first.id)
        assert done.state == RequestState.IN_PROGRESS.value
        assert uow.session.get(Subject, alice.subject_id).restricted_at is None
        changes.decide_objection(uow, first, uphold=True, reason="no overriding grounds")
        assert first.state is RequestState.FULFILLED
        assert uow.session.get(Subject, alice.subject_id).restricted_at is not None
        second = intake.submit_signed_in(
            uow, bob.identity, RequestKind.OBJECTION, scope=ObjectionScope.PROCESSING
        )
        changes.decide_objection(uow, second, uphold=False, reason="invoices kept by law")
        assert second.state is RequestState.REFUSED
        assert second.refusal_reason == "invoices kept by law"
        with pytest.raises(service.TransitionRefused, match="already fulfilled"):
            changes.decide_objection(uow, first, uphold=True, reason="again")


@pytest.mark.policy("PP-R-RECTIFY")
def test_a_date_of_birth_is_taken_as_people_write_it_and_stored_as_a_day():
    """UK order and month names are read; the stored form is one; a day that is not is refused."""
    target = "00000000-0000-0000-0000-000000000000"
    for written in ("1951-01-03", "03/01/1951", "3/1/1951", "3 January 1951", " 3  Jan 1951 "):
        fix = {"record": "customers", "id": target, "field": "date_of_birth", "value": written}
        (parsed,) = changes.parse_corrections([fix])
        assert parsed.value == "1951-01-03", written
    for wrong in ("31/02/1951", "3 Janvier 1951", "1951"):
        fix = {"record": "customers", "id": target, "field": "date_of_birth", "value": wrong}
        with pytest.raises(ValidationFailed) as refused:
            changes.parse_corrections([fix])
        assert "03/01/1951" in refused.value.problems[0].rule
