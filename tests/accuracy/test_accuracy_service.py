"""The stale-data review (DP-ACCURATE): when a record falls due, what resets its clock, what
the report shows and leaves out, and what is audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from accuracy_support import TEST_ACTOR, audit_details, seed_customer
from sqlalchemy import select

from klaremont.accuracy import report as stale
from klaremont.accuracy import service
from klaremont.accuracy.checks import no_record_overdue_for_review
from klaremont.accuracy.models import AccuracyReview, ReviewChannel
from klaremont.accuracy.render import to_csv, to_html
from klaremont.audit.events import Actor, ActorType
from klaremont.customers.models import Customer
from klaremont.db.subjects import Subject
from klaremont.errors import NotFound, PermissionDenied, ValidationFailed
from klaremont.policy.live import StaticContext
from klaremont.privacy.signin import customer_actor
from klaremont.rights import access, erasure, fulfil, intake
from klaremont.rights.states import RequestKind

DAY = timedelta(days=1)
PERIOD = 730  # accuracy.review_after_days in the shipped policy
STAFF = Actor(ActorType.STAFF, "00000000-0000-4000-8000-000000000001", "tester")


def _report(platform, **kwargs):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return stale.stale_records(uow, **kwargs)


def _listed(report) -> dict[str, str]:
    return {item.reference: item.state for item in [*report.overdue, *report.due_soon]}


def _confirm(platform, person, channel=ReviewChannel.PHONE, actor=STAFF):
    with platform.unit_of_work(actor=actor) as uow:
        return service.confirm_accurate(uow, person.reference, channel=channel)


@pytest.mark.policy("DP-ACCURATE")
def test_a_record_falls_due_on_the_day_its_review_period_ends(platform, clock, alice):
    """Not listed early on, due soon the day before, overdue on the day the period ends."""
    assert _listed(_report(platform)) == {}
    clock.advance(DAY * (PERIOD - 61))
    assert _listed(_report(platform)) == {}
    clock.advance(DAY)
    assert _listed(_report(platform)) == {alice.reference: "due_soon"}
    clock.advance(DAY * 59)
    report = _report(platform)
    assert _listed(report) == {alice.reference: "due_soon"}
    assert report.due_soon[0].days_left == 1
    assert report.overdue_total == 0
    clock.advance(DAY)
    report = _report(platform)
    assert _listed(report) == {alice.reference: "overdue"}
    [item] = report.overdue
    assert (item.days_left, item.age_days, item.basis) == (0, PERIOD, "created")
    assert (report.overdue_total, report.due_soon_total, report.accounts) == (1, 0, 1)


@pytest.mark.policy("DP-ACCURATE")
def test_confirming_restarts_the_review_period(platform, clock, alice):
    """A confirmation takes the record off the report until a full period has passed again."""
    clock.advance(DAY * (PERIOD + 10))
    assert _listed(_report(platform, within_days=0)) == {alice.reference: "overdue"}
    done = _confirm(platform, alice)
    assert done.next_due_on == (clock.now() + DAY * PERIOD).date()
    assert _listed(_report(platform, within_days=0)) == {}
    clock.advance(DAY * (PERIOD - 1))
    assert _listed(_report(platform, within_days=0)) == {}
    clock.advance(DAY)
    [item] = _report(platform, within_days=0).overdue
    assert (item.reference, item.basis, item.days_left) == (alice.reference, "confirmed", 0)


@pytest.mark.policy("DP-ACCURATE", "PP-R-RECTIFY")
def test_a_rectification_request_counts_as_a_review(platform, clock, alice):
    """Correcting only an address through a rectification request restarts the account's clock."""
    clock.advance(DAY * PERIOD)
    assert _listed(_report(platform)) == {alice.reference: "overdue"}
    fixes = [{"record": "addresses", "id": str(alice.address_id), "field": "town", "value": "York"}]
    with platform.unit_of_work(actor=customer_actor(alice.customer_id)) as uow:
        made = intake.submit_signed_in(
            uow, alice.identity, RequestKind.RECTIFICATION, details={"corrections": fixes}
        )
        fulfil.fulfil(uow, made.id)
    assert _listed(_report(platform)) == {}
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        status = service.review_status(uow, alice.reference)
    assert (status.state, status.clock.basis) == ("current", "rectified")
    assert [(e.outcome, e.channel) for e in status.history] == [("rectified", "rights_request")]
    [event] = audit_details(platform, "accuracy.confirm")
    assert event == {
        "channel": "rights_request",
        "fields": ["addresses.town"],
        "outcome": "rectified",
    }


@pytest.mark.policy("DP-ACCURATE")
def test_the_report_names_records_without_reading_personal_values(platform, clock, alice, bob):
    """References, dates and categories only; it works even with the data keys destroyed."""
    clock.advance(DAY * PERIOD)
    platform.keystore.destroy(bob.subject_id, "test: nothing may be decrypted")
    report = _report(platform, formats=("json", "csv", "html"))
    assert _listed(report) == {bob.reference: "overdue", alice.reference: "overdue"}
    assert [i.reference for i in report.overdue] == [bob.reference, alice.reference]  # oldest first
    shown = "\n".join(
        [
            to_csv(report),
            to_html(report),
            json.dumps([str(vars(i)) for i in report.overdue]),
        ]
    )
    for value in [*alice.canaries, *bob.canaries]:
        assert value not in shown
    assert bob.reference in shown
    assert str(bob.subject_id) in shown
    [audited] = audit_details(platform, "accuracy.report")
    assert audited == {
        "due_soon": 0,
        "formats": ["csv", "html", "json"],
        "listed": 2,
        "overdue": 2,
        "within_days": 60,
    }


@pytest.mark.policy("DP-ACCURATE")
def test_each_record_shows_its_categories_last_order_and_restriction(platform, clock, bob):
    """The DPO sees the categories a record holds, the last order date and any restriction."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        uow.session.get(Subject, bob.subject_id).restricted_at = clock.now()
    [item] = _report(platform).overdue
    assert item.categories == ["identity", "contact", "address", "orders"]
    assert item.last_order_on == (clock.now() - DAY * 30).date()
    assert item.restricted is True
    assert item.age_days == 3 * 365
    assert item.days_left == PERIOD - 3 * 365


@pytest.mark.policy("DP-ACCURATE")
def test_erased_people_and_closed_accounts_are_not_reviewed(platform, clock, alice, bob):
    """Only open accounts of people not erased are listed or counted; they cannot be confirmed."""
    clock.advance(DAY * PERIOD)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        uow.session.get(Subject, alice.subject_id).erased_at = clock.now()
        uow.session.get(Customer, bob.customer_id).closed_at = clock.now()
    report = _report(platform)
    assert (_listed(report), report.accounts) == ({}, 0)
    for person, rule in ((alice, "erased"), (bob, "closed")):
        with pytest.raises(ValidationFailed) as caught:
            _confirm(platform, person)
        assert caught.value.problems[0].field == "customer"
        assert rule in caught.value.problems[0].rule


@pytest.mark.policy("DP-ACCURATE")
def test_who_may_confirm_and_through_which_channel(platform, alice, bob):
    """A customer confirms only their own record, in the privacy centre; staff by phone etc."""
    as_alice = customer_actor(alice.customer_id)
    with pytest.raises(NotFound):
        _confirm(platform, bob, ReviewChannel.PRIVACY_CENTRE, as_alice)
    with pytest.raises(ValidationFailed, match="channel: a customer confirms in the privacy"):
        _confirm(platform, alice, ReviewChannel.PHONE, as_alice)
    with pytest.raises(ValidationFailed, match="channel: one of email, in_person, letter, phone"):
        _confirm(platform, alice, ReviewChannel.PRIVACY_CENTRE, STAFF)
    with pytest.raises(ValidationFailed, match="channel: one of"):
        _confirm(platform, alice, ReviewChannel.RIGHTS_REQUEST, STAFF)
    with pytest.raises(PermissionDenied):
        _confirm(platform, alice, ReviewChannel.PHONE, Actor(ActorType.ANONYMOUS, "anonymous"))
    with platform.unit_of_work(actor=STAFF) as uow, pytest.raises(NotFound):
        service.confirm_accurate(uow, "Z9999999", channel=ReviewChannel.PHONE)
    _confirm(platform, alice, ReviewChannel.PRIVACY_CENTRE, as_alice)
    _confirm(platform, alice, ReviewChannel.LETTER, STAFF)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.scalars(select(AccuracyReview).order_by(AccuracyReview.channel)).all()
        assert [(r.channel, r.actor_type, r.actor_id) for r in rows] == [
            (ReviewChannel.LETTER, "staff", STAFF.id),
            (ReviewChannel.PRIVACY_CENTRE, "customer", str(alice.customer_id)),
        ]
        assert {r.subject_id for r in rows} == {alice.subject_id}
    audited = audit_details(platform, "accuracy.confirm")
    assert [(d["outcome"], d["channel"]) for d in audited] == [
        ("confirmed", "privacy_centre"),
        ("confirmed", "letter"),
    ]


@pytest.mark.policy("DP-ACCURATE")
def test_reading_a_records_review_history_is_audited(platform, clock, alice):
    """The status names the state, the due date and the history, and leaves an audit record."""
    clock.advance(DAY * (PERIOD - 5))
    with platform.unit_of_work(actor=STAFF) as uow:
        status = service.review_status(uow, alice.customer_id)
    assert (status.state, status.clock.days_left, status.history) == ("due_soon", 5, [])
    assert audit_details(platform, "accuracy.read") == [{"reviews": 0, "state": "due_soon"}]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"within_days": -1}, "within_days"),
        ({"within_days": 366}, "within_days"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_001}, "limit"),
    ],
)
def test_report_options_are_validated_naming_the_field(platform, kwargs, field):
    """A bad option is refused naming the option and the rule."""
    with pytest.raises(ValidationFailed) as caught:
        _report(platform, **kwargs)
    assert caught.value.problems[0].field == field


@pytest.mark.policy("DP-ACCURATE")
def test_the_limit_shortens_the_list_but_not_the_totals(platform, clock):
    """With more stale records than the limit, the oldest are listed and all are counted."""
    people = [seed_customer(platform, f"p{i}", age=DAY * (PERIOD + 10 - i)) for i in range(4)]
    report = _report(platform, limit=2)
    assert [i.reference for i in report.overdue] == [p.reference for p in people[:2]]
    assert (report.overdue_total, report.listed, report.truncated) == (4, 2, True)


@pytest.mark.policy("DP-ACCURATE")
def test_live_check_fails_while_a_record_is_overdue(platform, clock, alice):
    """The trace's live check holds until a record passes its review date, then names the fix."""
    assert no_record_overdue_for_review(platform).holds
    clock.advance(DAY * PERIOD)
    result = no_record_overdue_for_review(platform)
    assert not result.holds
    assert "1 of 1 open records" in result.detail
    assert "the stale-data review lists them" in result.detail
    _confirm(platform, alice)
    assert no_record_overdue_for_review(platform).holds
    assert audit_details(platform, "accuracy.report") == []  # the check names nobody
    static = StaticContext(platform.settings, platform.policy, platform.clock)
    without = no_record_overdue_for_review(static)
    assert (without.holds, without.unknown) == (False, True)


@pytest.mark.policy("DP-ACCURATE", "PP-R-ACCESS", "PP-R-ERASE")
def test_review_history_is_the_persons_data_for_access_and_erasure(platform, alice, bob):
    """An access copy includes the person's reviews; an erasure deletes them with the account."""
    _confirm(platform, alice)
    _confirm(platform, bob)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        copy = access.collect(uow, alice.subject_id)
        [table] = [t for t in copy.tables if t.name == "accuracy_reviews"]
        assert [row["channel"] for row in table.rows] == ["phone"]
    with platform.unit_of_work(actor=customer_actor(alice.customer_id)) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE)
        reply = erasure.erase(uow, made.id)
    assert reply.deleted["accuracy_reviews"] == 1
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        kept = uow.session.scalars(select(AccuracyReview.subject_id)).all()
    assert kept == [bob.subject_id]


def test_only_a_correction_is_recorded_as_a_rectification(platform, alice):
    """The rectification hook refuses a confirmation channel and does nothing without accounts."""
    with platform.unit_of_work(actor=STAFF) as uow:
        with pytest.raises(ValueError, match="not a rectification channel"):
            service.record_rectification(uow, [alice.customer_id], channel=ReviewChannel.PHONE)
        assert service.record_rectification(uow, [], channel=ReviewChannel.RIGHTS_REQUEST) == 0
    assert audit_details(platform, "accuracy.confirm") == []
