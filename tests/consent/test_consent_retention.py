"""Consent records go six years after a withdrawal, and nobody's current choice changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from consent_support import TEST_ACTOR, make_subject
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from klaremont.consent import service as consent
from klaremont.consent.audience import marketing_audience, marketing_veto
from klaremont.consent.models import (
    ConsentMethod,
    ConsentSource,
    CookieCategory,
    CookieConsent,
    MarketingConsent,
)
from klaremont.consent.notices import notice_in_force
from klaremont.policy.purposes import MarketingChannel
from klaremont.retention import engine
from klaremont.testing.retention import dry_run_then_run

WEB = consent.Proof(ConsentMethod.WEB_FORM, ConsentSource.PRIVACY_CENTRE)
EMAIL, SMS, POST = MarketingChannel.EMAIL, MarketingChannel.SMS, MarketingChannel.POST
ANALYTICS, PREFERENCES = CookieCategory.ANALYTICS, CookieCategory.PREFERENCES
YES, NO = True, False  # a choice given, a choice withdrawn
TARGETS = ("consent.marketing", "consent.cookies", "consent.visitor_cookies")
SIX_YEARS = relativedelta(years=6)  # the policy's retention.consent_records.period


def _marketing(platform, subject, channel, granted):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        row = consent.set_marketing(uow, subject, channel, granted=granted, proof=WEB)
        assert row is not None
        return row.seq


def _cookie(platform, category, granted, *, subject=None, browser=None):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        [row] = consent.record_cookie_choices(
            uow, {category: granted}, WEB, subject_id=subject, browser_key=browser
        )
        return row.seq


def _eligibility(platform, people, browsers):
    """Everything anyone reads of the current choices: audiences, vetoes, states, cookies."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        session = uow.session
        return {
            "audience": {ch: marketing_audience(session, ch) for ch in MarketingChannel},
            "veto": {
                (p, ch): marketing_veto(session, p, ch)
                for p in people
                for ch in (*MarketingChannel, None)
            },
            "state": {p: consent.marketing_state(session, p) for p in people},
            "cookies": {p: consent.cookie_state(session, subject_id=p) for p in people},
            "browsers": {b: consent.cookie_state(session, browser_key=b) for b in browsers},
        }


def _seqs(platform):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return (
            set(uow.session.scalars(select(MarketingConsent.seq))),
            set(uow.session.scalars(select(CookieConsent.seq))),
        )


def _ids(seqs):
    return sorted(str(s) for s in seqs)


def _histories(platform, clock):
    """Six people and two browsers with every shape of history; what goes when."""
    regrant, keeps, late, gone, cookies = (make_subject(platform) for _ in range(5))
    first = {  # day 0: yes everywhere
        "regrant_email": _marketing(platform, regrant, EMAIL, YES),
        "regrant_sms": _marketing(platform, regrant, SMS, YES),
        "keeps_email": _marketing(platform, keeps, EMAIL, YES),
        "late_email": _marketing(platform, late, EMAIL, YES),
        "gone_post": _marketing(platform, gone, POST, YES),
        "cookies_pref": _cookie(platform, PREFERENCES, YES, subject=cookies),
        "cookies_analytics": _cookie(platform, ANALYTICS, YES, subject=cookies),
        "browser_analytics": _cookie(platform, ANALYTICS, YES, browser="browser-one"),
        "other_browser": _cookie(platform, ANALYTICS, YES, browser="browser-two"),
    }
    clock.advance(timedelta(days=1))  # day 1: the withdrawals
    withdrawn_at = clock.now()
    first |= {
        "regrant_email_no": _marketing(platform, regrant, EMAIL, NO),
        "gone_post_no": _marketing(platform, gone, POST, NO),
        "cookies_pref_no": _cookie(platform, PREFERENCES, NO, subject=cookies),
        "browser_analytics_no": _cookie(platform, ANALYTICS, NO, browser="browser-one"),
        # a signed-in person's withdrawal is not a visitor's (browser-two keeps its yes)
        "cookies_analytics_no": _cookie(platform, ANALYTICS, NO, subject=cookies),
    }
    clock.advance(timedelta(hours=1))
    first["late_email_no"] = _marketing(platform, late, EMAIL, NO)
    clock.advance(timedelta(days=1))  # day 2: changes of mind again
    first |= {
        "regrant_email_yes": _marketing(platform, regrant, EMAIL, YES),
        "cookies_pref_yes": _cookie(platform, PREFERENCES, YES, subject=cookies),
    }
    return withdrawn_at, first, (regrant, keeps, late, gone, cookies)


@pytest.mark.policy("PP-KEEP", "IS-SENS-DISPOSE")
def test_consent_history_goes_six_years_after_its_withdrawal(platform, clock):
    withdrawn_at, seq, people = _histories(platform, clock)
    browsers = ("browser-one", "browser-two")
    eligible = _eligibility(platform, people, browsers)
    marketing, cookies = _seqs(platform)

    clock.set(withdrawn_at + SIX_YEARS - timedelta(seconds=1))  # a second early: nothing goes
    early = dry_run_then_run(platform, TARGETS)
    assert early.listed == early.purged == {name: [] for name in TARGETS}
    assert early.changed == {}
    assert _seqs(platform) == (marketing, cookies)

    clock.set(withdrawn_at + SIX_YEARS)  # exactly six years after the first withdrawals
    due_marketing = {seq[k] for k in ("regrant_email", "regrant_email_no", "gone_post")}
    due_marketing.add(seq["gone_post_no"])
    due_people = {
        seq[k]
        for k in ("cookies_pref", "cookies_pref_no", "cookies_analytics", "cookies_analytics_no")
    }
    due_browsers = {seq["browser_analytics"], seq["browser_analytics_no"]}
    due_cookies = due_people | due_browsers
    ran = dry_run_then_run(platform, TARGETS)
    assert ran.listed == ran.purged
    assert ran.listed == {
        "consent.marketing": _ids(due_marketing),
        "consent.cookies": _ids(due_people),
        "consent.visitor_cookies": _ids(due_browsers),
    }
    assert ran.done == {
        "consent.marketing": 4,
        "consent.cookies": 4,
        "consent.visitor_cookies": 2,
    }
    assert ran.changed == {"marketing_consents": -4, "cookie_consents": -6}
    assert _seqs(platform) == (marketing - due_marketing, cookies - due_cookies)
    assert _eligibility(platform, people, browsers) == eligible

    clock.advance(timedelta(minutes=59, seconds=59))  # the later withdrawal: a second early
    assert dry_run_then_run(platform, TARGETS).listed == {name: [] for name in TARGETS}
    clock.advance(timedelta(seconds=1))
    later = dry_run_then_run(platform, TARGETS)
    late = _ids({seq["late_email"], seq["late_email_no"]})
    assert (
        later.listed
        == later.purged
        == {
            "consent.marketing": late,
            "consent.cookies": [],
            "consent.visitor_cookies": [],
        }
    )
    assert later.changed == {"marketing_consents": -2}
    assert _eligibility(platform, people, browsers) == eligible

    again = dry_run_then_run(platform, TARGETS)  # a second run does nothing
    assert again.listed == again.purged == {name: [] for name in TARGETS}
    assert again.changed == {}
    remaining = _seqs(platform)[0]
    assert {seq["regrant_email_yes"], seq["regrant_sms"], seq["keeps_email"]} <= remaining
    assert platform.audit.verify(platform.engine).ok


def _stored_out_of_order(platform, withdrawn_at):
    """A yes and its withdrawal stored withdrawal first (as concurrent writers or reused
    space can leave them on disk): a batch in storage order would take the withdrawal
    alone and leave the yes as the latest choice."""
    person = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        notice = notice_in_force(uow).id
        proof = {
            "method": ConsentMethod.PHONE,
            "source": ConsentSource.PHONE_ORDER,
            "notice_id": notice,
            "recorded_by": str(TEST_ACTOR),
        }
        for seq, granted, at in (
            (1_000_001, False, withdrawn_at),
            (1_000_000, True, withdrawn_at - timedelta(days=1)),
        ):
            row = MarketingConsent(
                seq=seq, subject_id=person, channel=EMAIL, granted=granted, recorded_at=at, **proof
            )
            uow.session.add(row)
            uow.session.flush()
    return person


@pytest.mark.policy("PP-KEEP")
def test_no_batch_boundary_changes_anyones_choice(platform, clock):
    """One row per batch: after every batch each person's choices read as before."""
    withdrawn_at, _seq, people = _histories(platform, clock)
    people = (*people, _stored_out_of_order(platform, withdrawn_at))
    browsers = ("browser-one", "browser-two")
    eligible = _eligibility(platform, people, browsers)
    clock.set(withdrawn_at + SIX_YEARS + timedelta(days=1))
    seen: list[int] = []

    def after_each_batch(what: str, done: int, total: int) -> None:
        del what, total
        seen.append(done)
        assert _eligibility(platform, people, browsers) == eligible

    ran = dry_run_then_run(platform, TARGETS, batch_size=1, progress=after_each_batch)
    assert ran.listed == ran.purged
    assert ran.done == {
        "consent.marketing": 8,
        "consent.cookies": 4,
        "consent.visitor_cookies": 2,
    }
    assert len(seen) == 14
    assert engine.run(platform).total_done == 0


@pytest.mark.policy("PP-KEEP")
def test_a_history_never_withdrawn_is_kept_however_old(platform, clock):
    keen = make_subject(platform)
    _marketing(platform, keen, EMAIL, YES)
    clock.advance(timedelta(days=365 * 50))
    ran = dry_run_then_run(platform, TARGETS)
    assert ran.listed == ran.purged == {name: [] for name in TARGETS}
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert marketing_audience(uow.session, EMAIL) == [keen]
