"""The live checks of the legal hold (SP-IRP-EVIDENCE) and of the customer notices
(SP-IRP-NOTIFY) hold on sound records and fail, saying why, when the records show the
clause broken."""

from __future__ import annotations

import pytest
from affected_support import case_with, shopper
from sqlalchemy import text

from klaremont import capabilities
from klaremont.incidents import hold_checks

HOLD = {"reason": "Keep their records for the ICO and any claim."}
NOTICE = {
    "nature": "A file of customer accounts was copied from a web server.",
    "consequences": "You may receive fake messages that claim to come from us.",
    "measures": "We closed the gap and reset every session.",
}


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_the_hold_check_fails_when_a_held_customer_is_erased(platform, client):
    person = shopper(platform, "held")
    reference = case_with(client, person)
    client("ivy").post(f"/api/incidents/{reference}/hold", json=HOLD)
    sound = hold_checks.held_customers_are_kept(platform)
    assert sound.holds, sound.detail
    assert "1 customer(s) under the legal hold of 1 incident(s)" in sound.detail
    with platform.engine.begin() as conn:  # erased behind the platform's back
        conn.execute(
            text("UPDATE data_subjects SET erased_at = CURRENT_TIMESTAMP WHERE id = :i"),
            {
                "i": person.subject_id.hex
                if platform.engine.dialect.name == "sqlite"
                else person.subject_id
            },
        )
    failed = hold_checks.held_customers_are_kept(platform)
    assert not failed.holds
    assert reference in failed.detail


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_the_hold_check_fails_when_high_alert_is_not_wired(platform, monkeypatch):
    assert hold_checks.held_customers_are_kept(platform).holds
    monkeypatch.setattr(capabilities, "_extensions", dict)  # nothing plugged in anywhere
    failed = hold_checks.held_customers_are_kept(platform)
    assert not failed.holds
    assert "subject_hold" in failed.detail
    assert "personal_read" in failed.detail


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_the_notice_check_fails_when_the_tracker_count_is_not_the_outbox(platform, client):
    one, two = shopper(platform, "one"), shopper(platform, "two")
    reference = case_with(client, one, two)
    assert (
        client("ivy").post(f"/api/incidents/{reference}/customer-notices", json=NOTICE).status_code
        == 200
    )
    sound = hold_checks.customer_notices_went_to_everyone_counted(platform)
    assert sound.holds, sound.detail
    assert "(2 notice(s), one each)" in sound.detail
    with platform.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE incident_notifications SET their_reference = '5 customers told' "
                "WHERE recipient = 'customers'"
            )
        )
    failed = hold_checks.customer_notices_went_to_everyone_counted(platform)
    assert not failed.holds
    assert reference in failed.detail
