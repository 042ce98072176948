"""Consent records: notices and versions, marketing and cookie consent, history, withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from consent_support import TEST_ACTOR, make_subject
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.consent import notices
from klaremont.consent import service as consent
from klaremont.consent.actions import ConsentAction
from klaremont.consent.models import ConsentMethod, ConsentSource, CookieCategory, MarketingConsent
from klaremont.errors import Conflict, ValidationFailed
from klaremont.policy.purposes import MarketingChannel

WEB = consent.Proof(ConsentMethod.WEB_FORM, ConsentSource.PRIVACY_CENTRE)
PHONE = consent.Proof(ConsentMethod.PHONE, ConsentSource.PHONE_ORDER)


@pytest.mark.policy("IS-SENS-CONSENT")
def test_notice_versions_are_immutable_and_hashed(platform):
    """A changed text makes a new version with its SHA-256; the same text twice is refused."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        first = notices.notice_in_force(uow)
        assert first.version == 1
        assert first.text == notices.shipped_privacy_notice()
        assert first.text_sha256 == notices.text_hash(first.text)
        second = notices.publish_notice(uow, first.text + "\nWe now also answer by post.")
        assert second.version == 2
        assert notices.latest_notice(uow.session).id == second.id
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(Conflict):
        notices.publish_notice(uow, second.text)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(ValidationFailed):
        notices.publish_notice(uow, "   ")


@pytest.mark.policy("IS-SENS-CONSENT", "PP-OPTOUT")
def test_marketing_consent_keeps_full_history_with_proof(platform, clock):
    """Each change appends a record with time, method, source and notice; state is the latest."""
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.set_marketing(uow, subject_id, MarketingChannel.EMAIL, granted=True, proof=PHONE)
    clock.advance(timedelta(days=3))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        notices.publish_notice(uow, "Version two of the notice.")
        consent.set_marketing(uow, subject_id, MarketingChannel.EMAIL, granted=False, proof=WEB)
        assert (
            consent.set_marketing(uow, subject_id, MarketingChannel.EMAIL, granted=False, proof=WEB)
            is None
        )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        history = consent.consent_history(uow.session, subject_id)
        state = consent.marketing_state(uow.session, subject_id)
    assert [(h.item, h.granted, h.method, h.source, h.notice_version) for h in history] == [
        ("email", False, "web_form", "privacy_centre", 2),
        ("email", True, "phone", "phone_order", 1),
    ]
    assert history[0].recorded_at - history[1].recorded_at == timedelta(days=3)
    assert state == dict.fromkeys(MarketingChannel, False)


@pytest.mark.policy("PP-OPTOUT")
def test_withdrawal_is_one_call_for_every_channel(platform):
    """One call withdraws every channel that was on, as easily as it was given."""
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.record_marketing(uow, subject_id, dict.fromkeys(MarketingChannel, True), WEB)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = consent.withdraw_marketing(uow, subject_id, WEB)
        assert sorted(r.channel for r in rows) == sorted(MarketingChannel)
        assert not any(consent.marketing_state(uow.session, subject_id).values())
        assert consent.withdraw_marketing(uow, subject_id, WEB) == []


@pytest.mark.policy("PP-OPTOUT", "IS-SENS-CONSENT")
def test_opt_out_captured_at_collection_records_every_channel(platform):
    """The customer-create path records a choice per channel, missing channels as refused."""
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = consent.capture_at_collection(
            uow,
            subject_id,
            {MarketingChannel.POST: True},
            source=ConsentSource.ACCOUNT_CREATION,
        )
    assert {(r.channel, r.granted) for r in rows} == {
        ("email", False),
        ("post", True),
        ("phone", False),
        ("sms", False),
    }
    assert {r.source for r in rows} == {"account_creation"}


@pytest.mark.policy("IS-SENS-CONSENT")
def test_records_are_append_only_and_audited(platform):
    """A change never updates a record: rows only grow, each change a consent.change event."""
    subject_id = make_subject(platform)
    for granted in (True, False, True):
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            consent.set_marketing(uow, subject_id, MarketingChannel.SMS, granted=granted, proof=WEB)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.scalars(select(MarketingConsent).order_by(MarketingConsent.seq)).all()
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == ConsentAction.CONSENT_CHANGE)
        ).all()
    assert [r.granted for r in rows] == [True, False, True]
    marketing_events = [e for e in events if e.resource == f"subject:{subject_id}"]
    assert len(marketing_events) == 3


@pytest.mark.policy("PP-COOKIE", "IS-SENS-CONSENT")
def test_cookie_consent_by_category(platform):
    """Strictly necessary is always on and cannot be refused; other categories default off."""
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        state = consent.cookie_state(uow.session, subject_id=subject_id)
        assert state == {
            CookieCategory.STRICTLY_NECESSARY: True,
            CookieCategory.PREFERENCES: False,
            CookieCategory.ANALYTICS: False,
        }
        consent.record_cookie_choices(
            uow, {CookieCategory.ANALYTICS: True}, WEB, subject_id=subject_id
        )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.record_cookie_choices(
            uow, {CookieCategory.ANALYTICS: False}, WEB, subject_id=subject_id
        )
        assert not consent.cookie_state(uow.session, subject_id=subject_id)[
            CookieCategory.ANALYTICS
        ]
        history = consent.consent_history(uow.session, subject_id)
        assert [(h.kind, h.item, h.granted) for h in history] == [
            ("cookie", "analytics", False),
            ("cookie", "analytics", True),
        ]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(ValidationFailed):
        consent.record_cookie_choices(
            uow, {CookieCategory.STRICTLY_NECESSARY: False}, WEB, subject_id=subject_id
        )


@pytest.mark.policy("PP-COOKIE")
def test_visitor_cookie_choice_is_kept_by_key_digest_only(platform):
    """A visitor's choice is recorded against the SHA-256 of their random key, never the key."""
    key = "k" * 43
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = consent.record_cookie_choices(
            uow, {CookieCategory.PREFERENCES: True}, WEB, browser_key=key
        )
        assert rows[0].browser_key_hash == consent.browser_key_hash(key)
        assert rows[0].subject_id is None
        assert consent.cookie_state(uow.session, browser_key=key)[CookieCategory.PREFERENCES]
        assert not consent.cookie_state(uow.session, browser_key="other")[
            CookieCategory.PREFERENCES
        ]
