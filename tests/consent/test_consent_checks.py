"""Live checks of consent, mail and cookies hold on a clean platform and fail when broken."""

from __future__ import annotations

import pytest
from consent_support import TEST_ACTOR, make_subject
from sqlalchemy import update

from klaremont import capabilities
from klaremont.consent import checks as consent_checks
from klaremont.consent import notices
from klaremont.consent import service as consent
from klaremont.consent.models import ConsentMethod, ConsentSource, PrivacyNotice
from klaremont.mail import checks as mail_checks
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.mail.service import enqueue
from klaremont.mail.templates import RequestUpdated
from klaremont.policy.live import REGISTRY, load_all_checks
from klaremont.policy.purposes import MarketingChannel
from klaremont.privacy import checks as privacy_checks
from klaremont.purposes.decide import MARKETING_VETO

WEB = consent.Proof(ConsentMethod.WEB_FORM, ConsentSource.PRIVACY_CENTRE)


@pytest.mark.policy("PP-OPTOUT", "IS-SENS-CONSENT", "IS-SENS-EMAIL", "PP-COOKIE")
def test_checks_are_registered_and_hold_on_a_clean_platform(platform):
    """Each module loads and its check holds, with and without a database."""
    loaded = load_all_checks().loaded
    for name in ("klaremont.consent.checks", "klaremont.mail.checks", "klaremont.privacy.checks"):
        assert name in loaded
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.set_marketing(uow, subject_id, MarketingChannel.EMAIL, granted=True, proof=WEB)
    for clause in ("PP-OPTOUT", "IS-SENS-CONSENT", "IS-SENS-EMAIL", "PP-COOKIE"):
        assert REGISTRY.run(clause, platform).status == "holds", clause


@pytest.mark.policy("PP-OPTOUT")
def test_optout_check_fails_without_the_veto(platform, monkeypatch):
    """If the consent veto were not plugged into the purpose check, PP-OPTOUT would fail."""
    assert consent_checks.opt_outs_are_honoured(platform).holds
    real = capabilities.extensions
    monkeypatch.setattr(
        capabilities, "extensions", lambda point: () if point == MARKETING_VETO else real(point)
    )
    result = consent_checks.opt_outs_are_honoured(platform)
    assert not result.holds
    assert "not registered" in result.detail


@pytest.mark.policy("IS-SENS-CONSENT")
def test_consent_check_fails_when_a_notice_text_is_altered(platform):
    """A notice text edited in place after publication no longer matches its hash."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        notices.notice_in_force(uow)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        uow.session.execute(update(PrivacyNotice).values(text="quietly changed"))
    result = consent_checks.consent_records_prove_their_notice(platform)
    assert not result.holds
    assert "privacy v1" in result.detail


@pytest.mark.policy("IS-SENS-EMAIL")
def test_mail_check_fails_when_a_sent_body_is_kept(platform):
    """A sent message that still keeps its body fails IS-SENS-EMAIL."""
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        row = enqueue(
            uow,
            subject_id=subject_id,
            to_address="ada@example.com",
            mail=RequestUpdated(reference="DSR-ABCD2345"),
        )
        row.status = MailStatus.SENT
    assert not mail_checks.mail_carries_no_personal_data(platform).holds
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        uow.session.get(OutboxMessage, row.id).body = None
    assert mail_checks.mail_carries_no_personal_data(platform).holds


@pytest.mark.policy("PP-COOKIE")
def test_cookie_check_cannot_tell_without_a_database(platform):
    """Without a database the check still judges the settings, then cannot tell."""

    class Static:
        settings = platform.settings
        policy = platform.policy
        clock = platform.clock

    without = privacy_checks.cookies_hold_keys_only(Static())
    assert (without.holds, without.unknown) == (False, True)
    assert "stored keys not inspected" in without.detail
