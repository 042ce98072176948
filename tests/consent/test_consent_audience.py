"""The marketing audience and the marketing veto honour opt-out, objection, restriction, erasure."""

from __future__ import annotations

import pytest
from consent_support import TEST_ACTOR, make_subject, set_state

from klaremont.consent import service as consent
from klaremont.consent.audience import marketing_audience, marketing_veto
from klaremont.consent.models import ConsentMethod, ConsentSource
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import MarketingChannel, Purpose
from klaremont.purposes.decide import marketing_vetoes, refusal
from klaremont.staff.permissions import Role

WEB = consent.Proof(ConsentMethod.WEB_FORM, ConsentSource.PRIVACY_CENTRE)


def _opted_in(platform, *channels: MarketingChannel):
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.record_marketing(uow, subject_id, dict.fromkeys(channels, True), WEB)
    return subject_id


@pytest.mark.policy("PP-OPTOUT", "PP-R-OBJECT", "PP-R-RESTRICT", "PP-R-ERASE")
def test_audience_excludes_opted_out_objected_restricted_and_erased(platform, clock):
    """Only people whose latest consent is yes and who are not objected, restricted or erased."""
    keen = _opted_in(platform, MarketingChannel.EMAIL)
    post_only = _opted_in(platform, MarketingChannel.POST)
    opted_out = _opted_in(platform, MarketingChannel.EMAIL)
    objected = _opted_in(platform, MarketingChannel.EMAIL)
    restricted = _opted_in(platform, MarketingChannel.EMAIL)
    erased = _opted_in(platform, MarketingChannel.EMAIL)
    never_asked = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.withdraw_marketing(uow, opted_out, WEB)
    now = clock.now()
    set_state(platform, objected, marketing_objection_at=now)
    set_state(platform, restricted, restricted_at=now, restriction_reason="accuracy contested")
    set_state(platform, erased, erased_at=now)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        email = marketing_audience(uow.session, MarketingChannel.EMAIL)
        post = marketing_audience(uow.session, "post")
    assert email == [keen]
    assert post == [post_only]
    for excluded in (opted_out, objected, restricted, erased, never_asked):
        assert excluded not in email


@pytest.mark.policy("PP-OPTOUT")
def test_veto_registered_with_the_purpose_check(platform):
    """The purpose check refuses marketing of an opted-out person through the consent veto."""
    assert marketing_veto in marketing_vetoes()
    keen = _opted_in(platform, MarketingChannel.EMAIL)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.withdraw_marketing(uow, keen, WEB)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.set_marketing(uow, keen, MarketingChannel.SMS, granted=True, proof=WEB)

    def decide(channel: str | None):
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            return refusal(
                uow,
                subject=keen,
                purpose=Purpose.MARKETING,
                categories=[DataCategory.CONTACT],
                actor_roles=[Role.MARKETING],
                channel=channel,
            )

    refused = decide("email")
    assert refused is not None
    assert refused.code == "marketing-veto"
    assert "no marketing consent by email" in refused.reason
    assert decide("sms") is None
    assert decide(None) is None
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        consent.withdraw_marketing(uow, keen, WEB)
    assert decide(None) is not None


@pytest.mark.policy("PP-R-RESTRICT", "PP-R-OBJECT")
def test_veto_reasons_follow_processing_state(platform, clock):
    """The veto names restriction, objection and erasure in that order of precedence."""
    subject_id = _opted_in(platform, MarketingChannel.EMAIL)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert marketing_veto(uow.session, subject_id, "email") is None
        assert marketing_veto(uow.session, subject_id, "pigeon") is not None
    set_state(platform, subject_id, marketing_objection_at=clock.now())
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert (
            marketing_veto(uow.session, subject_id, "email") == "the person objected to marketing"
        )
    set_state(platform, subject_id, restricted_at=clock.now())
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert marketing_veto(uow.session, subject_id, "email") == "processing is restricted"
