"""Only the person lifts their marketing objection, in the privacy centre (PP-R-OBJECT)."""

from __future__ import annotations

import pytest
from privacy_support import TEST_ACTOR, make_customer, sign_in

from klaremont.consent import objection
from klaremont.consent import service as consent
from klaremont.policy.purposes import MarketingChannel
from klaremont.rights.intake import object_to_marketing


@pytest.mark.policy("PP-R-OBJECT", "PP-OPTOUT")
def test_the_person_sees_the_objection_and_lifts_it_themselves(platform, client):
    """The marketing page shows the objection (no channel boxes); lifting it is one button."""
    person = make_customer(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        object_to_marketing(uow, person.subject_id)
    token = sign_in(client, person)
    page = client.get("/privacy/marketing").text
    assert "You have objected to marketing" in page
    assert 'id="marketing-form"' not in page
    refused = client.post(
        "/privacy/marketing",
        data={"csrf_token": token, "email": "yes"},
        headers={"Accept": "text/html"},
    )
    assert refused.status_code == 403
    lifted = client.post(
        "/privacy/marketing/lift-objection", data={"csrf_token": token}, follow_redirects=False
    )
    assert lifted.status_code == 303
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert objection.standing(uow.session, person.subject_id).objected_at is None
        assert not any(consent.marketing_state(uow.session, person.subject_id).values())
    page = client.get("/privacy/marketing").text
    assert 'id="marketing-form"' in page
    client.post("/privacy/marketing", data={"csrf_token": token, "email": "yes"})
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        state = consent.marketing_state(uow.session, person.subject_id)
    assert state[MarketingChannel.EMAIL] is True
