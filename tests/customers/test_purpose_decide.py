"""The one purpose check: roles, restriction, objection, vetoes, system and customer actors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from store_support import (
    TEST_ACTOR,
    audit_events,
    consent_to_marketing,
    new_customer,
    set_state,
    subject_of,
)

from klaremont import capabilities
from klaremont.audit.events import Actor, ActorType, AuditAction, Outcome
from klaremont.cards.actions import CardAction
from klaremont.customers.models import Customer
from klaremont.db.subjects import Subject
from klaremont.errors import PurposeRefused
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import Purpose
from klaremont.purposes.decide import (
    MARKETING_VETO,
    allow_system_actor,
    authorise,
    marketing_vetoes,
    refusal,
)
from klaremont.staff.permissions import Role

C = DataCategory
CONTACT = {C.IDENTITY, C.CONTACT}
SUPPORT = frozenset({Role.SUPPORT_AGENT})
MARKETING = frozenset({Role.MARKETING})
FINANCE = frozenset({Role.FINANCE})
STAFF = Actor(ActorType.STAFF, "00000000-0000-4000-8000-000000000001", "tester")


def _authorise(platform, subject_id, purpose, categories, roles, *, actor=STAFF, channel=None):
    with platform.unit_of_work(actor=actor) as uow:
        authorise(
            uow,
            subject=subject_id,
            purpose=purpose,
            categories=categories,
            actor_roles=roles,
            channel=channel,
        )


def _last_refusal(platform) -> dict:
    event = audit_events(platform, AuditAction.PURPOSE_REFUSED)[-1]
    return {
        "actor": event.actor_id,
        "outcome": event.outcome,
        "purpose": event.purpose,
        "resource": event.resource,
        **json.loads(event.details),
    }


@pytest.mark.policy("DP-PURPOSE", "IS-SENS-NEED")
def test_a_role_may_use_only_its_purposes_and_the_refusal_is_audited(platform, customer_id):
    """Marketing staff may not read for support, and the refusal records actor, purpose, the
    subject's pseudonymous id and the categories asked for."""
    subject_id = subject_of(platform, customer_id)
    with pytest.raises(PurposeRefused, match="your roles may not process for support"):
        _authorise(platform, subject_id, Purpose.SUPPORT, CONTACT, MARKETING)
    assert _last_refusal(platform) == {
        "actor": STAFF.id,
        "outcome": Outcome.DENIED.value,
        "purpose": "support",
        "resource": f"subject:{subject_id}",
        "reason": "role-purpose",
        "categories": ["contact", "identity"],
        "roles": ["marketing"],
    }
    _authorise(platform, subject_id, Purpose.SUPPORT, CONTACT, SUPPORT)


@pytest.mark.policy("IS-SENS-NEED", "DP-PURPOSE")
def test_need_to_know_keeps_invoices_from_support_and_cards_from_marketing(platform, customer_id):
    """Support may not read invoices (not its purpose's category), marketing may not read cards
    or orders (not its permissions); finance reads invoices for invoicing."""
    subject_id = subject_of(platform, customer_id)
    with pytest.raises(PurposeRefused, match="support may not touch invoices"):
        _authorise(platform, subject_id, Purpose.SUPPORT, {C.INVOICES}, SUPPORT)
    with pytest.raises(PurposeRefused, match="marketing may not touch payment_cards"):
        _authorise(platform, subject_id, Purpose.MARKETING, {C.PAYMENT_CARDS}, MARKETING)
    with pytest.raises(PurposeRefused, match="your roles may not read orders"):
        _authorise(platform, subject_id, Purpose.MARKETING, {C.ORDERS}, MARKETING)
    _authorise(platform, subject_id, Purpose.INVOICING, {C.INVOICES}, FINANCE)
    assert len(audit_events(platform, AuditAction.PURPOSE_REFUSED)) == 3
    card_denials = audit_events(platform, CardAction.CARD_READ)
    assert [e.outcome for e in card_denials] == ["denied"]


@pytest.mark.policy("PP-COMBINE", "DP-PURPOSE")
def test_a_restricted_person_is_storage_only(platform, clock, customer_id):
    """Restriction refuses order processing, support and marketing, audited; a legal obligation
    (a court order, the person's own request) may still read the retained records."""
    subject_id = subject_of(platform, customer_id)
    consent_to_marketing(platform, subject_id)
    set_state(platform, subject_id, restricted_at=clock.now(), restriction_reason="accuracy")
    for purpose, roles in (
        (Purpose.ORDER_PROCESSING, SUPPORT),
        (Purpose.SUPPORT, SUPPORT),
        (Purpose.MARKETING, MARKETING),
    ):
        with pytest.raises(PurposeRefused, match="processing is restricted"):
            _authorise(platform, subject_id, purpose, CONTACT, roles)
        assert _last_refusal(platform)["reason"] == "subject-restricted"
    _authorise(platform, subject_id, Purpose.LEGAL_OBLIGATION, CONTACT, frozenset({Role.DPO}))


@pytest.mark.policy("PP-COMBINE", "DP-PURPOSE")
def test_an_objection_switches_off_marketing_only(platform, clock, customer_id):
    """After an objection a marketing read is refused and audited, while support still works."""
    subject_id = subject_of(platform, customer_id)
    consent_to_marketing(platform, subject_id)
    _authorise(platform, subject_id, Purpose.MARKETING, CONTACT, MARKETING, channel="email")
    set_state(platform, subject_id, marketing_objection_at=clock.now())
    with pytest.raises(PurposeRefused, match="objected to marketing"):
        _authorise(platform, subject_id, Purpose.MARKETING, CONTACT, MARKETING)
    assert _last_refusal(platform)["reason"] == "marketing-objection"
    _authorise(platform, subject_id, Purpose.SUPPORT, CONTACT, SUPPORT)


@pytest.mark.policy("DP-PURPOSE", "IS-SENS-CONSENT")
def test_an_opt_out_vetoes_marketing_through_the_consent_module(platform, customer_id):
    """The consent module's registered veto refuses marketing to a person who never opted in
    (or opted out), per channel, and the refusal is audited with the channel."""
    subject_id = subject_of(platform, customer_id)
    assert any(v.__module__ == "klaremont.consent.audience" for v in marketing_vetoes())
    with pytest.raises(PurposeRefused, match="no marketing consent by email"):
        _authorise(platform, subject_id, Purpose.MARKETING, CONTACT, MARKETING, channel="email")
    assert _last_refusal(platform)["reason"] == "marketing-veto"
    assert _last_refusal(platform)["channel"] == "email"
    consent_to_marketing(platform, subject_id)
    _authorise(platform, subject_id, Purpose.MARKETING, CONTACT, MARKETING, channel="email")
    with pytest.raises(PurposeRefused, match="by post"):
        _authorise(platform, subject_id, Purpose.MARKETING, CONTACT, MARKETING, channel="post")


@pytest.mark.policy("DP-PURPOSE")
def test_registered_vetoes_are_consulted_for_marketing_only(platform, customer_id, monkeypatch):
    """A veto plugged into the purpose check gets the session, the subject id and the channel,
    and is asked for marketing decisions only."""
    subject_id = subject_of(platform, customer_id)
    consent_to_marketing(platform, subject_id)
    calls = []

    def veto(session, subject, channel):
        calls.append((subject, channel))
        assert session.get(Subject, subject) is not None
        return "the person is on the do-not-mail list"

    declared = capabilities.extensions

    def with_veto(point):
        return (*declared(point), veto) if point == MARKETING_VETO else declared(point)

    monkeypatch.setattr(capabilities, "extensions", with_veto)
    with pytest.raises(PurposeRefused, match="do-not-mail"):
        _authorise(platform, subject_id, Purpose.MARKETING, CONTACT, MARKETING, channel="email")
    _authorise(platform, subject_id, Purpose.SUPPORT, CONTACT, SUPPORT)
    assert calls == [(subject_id, "email")]


@pytest.mark.policy("IS-SENS-NEED")
def test_system_actors_need_an_explicit_allowance(platform, customer_id):
    """The platform's jobs may process for legal obligations but not marketing; the shell operator
    may not market; an unknown system actor may do nothing until allowed."""
    subject_id = subject_of(platform, customer_id)
    jobs, shell = TEST_ACTOR, Actor(ActorType.SYSTEM, "cli:alice")
    stranger = Actor(ActorType.SYSTEM, "importer")
    _authorise(platform, subject_id, Purpose.LEGAL_OBLIGATION, CONTACT, None, actor=jobs)
    _authorise(platform, subject_id, Purpose.SUPPORT, CONTACT, None, actor=shell)
    for actor, purpose in (
        (jobs, Purpose.MARKETING),
        (shell, Purpose.MARKETING),
        (stranger, Purpose.SUPPORT),
    ):
        with pytest.raises(PurposeRefused, match="has no allowance"):
            _authorise(platform, subject_id, purpose, CONTACT, None, actor=actor)
    allow_system_actor("importer", {Purpose.SUPPORT})
    try:
        _authorise(platform, subject_id, Purpose.SUPPORT, CONTACT, None, actor=stranger)
    finally:
        allow_system_actor("importer", set())


@pytest.mark.policy("IS-SENS-NEED")
def test_a_customer_sees_only_their_own_data(platform, customer_id):
    """A signed-in customer may use their own data for support, not another person's, and never
    for marketing; anonymous callers may process nothing."""
    subject_id = subject_of(platform, customer_id)
    other = subject_of(platform, new_customer(platform, name="Bo", email="bo@example.com"))
    me = Actor(ActorType.CUSTOMER, str(customer_id))
    _authorise(platform, subject_id, Purpose.SUPPORT, CONTACT, None, actor=me)
    with pytest.raises(PurposeRefused, match="only their own data"):
        _authorise(platform, other, Purpose.SUPPORT, CONTACT, None, actor=me)
    with pytest.raises(PurposeRefused, match="customers may not process for marketing"):
        _authorise(platform, subject_id, Purpose.MARKETING, CONTACT, None, actor=me)
    with pytest.raises(PurposeRefused, match="anonymous actors"):
        _authorise(
            platform,
            subject_id,
            Purpose.SUPPORT,
            CONTACT,
            None,
            actor=Actor(ActorType.ANONYMOUS, "x"),
        )


@pytest.mark.policy("DP-PURPOSE")
def test_a_refusal_discards_the_work_but_keeps_its_audit_event(platform, clock, customer_id):
    """Work done before a refused check is rolled back, the refusal is committed, and the audit
    chain still verifies."""
    subject_id = subject_of(platform, customer_id)
    set_state(platform, subject_id, erased_at=clock.now())
    with platform.unit_of_work(actor=STAFF) as uow:
        uow.session.get(Customer, customer_id).updated_at = clock.now() + timedelta(days=1)
        uow.session.flush()
        refused = pytest.raises(PurposeRefused, match="erased")
        with refused:
            authorise(
                uow,
                subject=subject_id,
                purpose=Purpose.SUPPORT,
                categories=CONTACT,
                actor_roles=SUPPORT,
            )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, customer_id).updated_at == clock.now()
        assert (
            refusal(
                uow,
                subject=subject_id,
                purpose=Purpose.SUPPORT,
                categories=CONTACT,
                actor_roles=SUPPORT,
            ).code
            == "subject-erased"
        )
        assert uow.session.scalar(select(func.count()).select_from(Subject)) == 1
    assert _last_refusal(platform)["reason"] == "subject-erased"
    assert platform.audit.verify(platform.engine).ok
