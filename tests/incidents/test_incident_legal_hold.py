"""The legal hold on an incident's affected customers (SP-IRP-EVIDENCE, UK GDPR Art. 17(3)(e)):
the ISO lists the customers by account reference or e-mail address and places the hold;
erasure is refused naming the incident while it stands and goes through once the ISO lifts
it; the deferred shred leaves a held person's key alone; placing and lifting are the ISO's
alone, logged and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from affected_support import SEEDER, case_with, shopper
from casefile_support import BROWSER, form, open_case
from incidents_support import events
from sqlalchemy import func, select

from klaremont import holds
from klaremont.customers.models import Customer
from klaremont.incidents import affected
from klaremont.incidents import service as service_of_incidents
from klaremont.incidents.affected_models import IncidentAffected
from klaremont.incidents.visibility import Viewer
from klaremont.rights import erasure, intake, service
from klaremont.rights.ports import CustomerIdentity
from klaremont.rights.states import RequestKind, RequestState

HOLD = {"reason": "The ICO may open an investigation; keep their records as they are."}
LIFT = {"reason": "The ICO closed its enquiry and no claim was made."}


def _erasure_request(platform, person):
    with platform.unit_of_work(actor=SEEDER) as uow:
        identity = CustomerIdentity(person.subject_id, person.customer_id)
        return intake.submit_signed_in(uow, identity, RequestKind.ERASURE).id


def _accounts(platform, person) -> int:
    with platform.unit_of_work() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(Customer)
            .where(Customer.subject_id == person.subject_id)
        )


@pytest.mark.policy("SP-IRP-EVIDENCE", "PP-R-ERASE")
def test_erasure_waits_for_the_hold_and_goes_through_once_it_is_lifted(platform, client):
    held, other = shopper(platform, "held"), shopper(platform, "other")
    reference = case_with(client, held)
    iso = client("ivy")
    placed = iso.post(f"/api/incidents/{reference}/hold", json=HOLD)
    assert placed.status_code == 200, placed.text
    assert placed.json()["hold"]["placed_by"]
    request_id = _erasure_request(platform, held)
    with platform.unit_of_work(actor=SEEDER) as uow, pytest.raises(erasure.ErasureHeld) as refused:
        erasure.erase(uow, request_id)
    assert f"incident {reference}" in refused.value.detail
    assert "nothing was erased" in refused.value.detail
    assert _accounts(platform, held) == 1
    with platform.unit_of_work() as uow:
        assert service.get(uow, request_id).state is not RequestState.FULFILLED
        found = holds.holds_on(uow, [held.subject_id, other.subject_id])
    assert [h.subject_id for h in found] == [held.subject_id]  # only the listed person
    other_request = _erasure_request(platform, other)
    with platform.unit_of_work(actor=SEEDER) as uow:
        erasure.erase(uow, other_request)
    assert _accounts(platform, other) == 0

    lifted = iso.post(f"/api/incidents/{reference}/hold/lift", json=LIFT)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["hold"] is None
    assert lifted.json()["past_holds"][0]["lift_reason"] == LIFT["reason"]
    with platform.unit_of_work(actor=SEEDER) as uow:
        erasure.erase(uow, request_id)
    assert _accounts(platform, held) == 0
    assert len(events(platform, "incident.hold_placed")) == 1
    assert len(events(platform, "incident.hold_lifted")) == 1
    log = [e["text"] for e in iso.get(f"/api/incidents/{reference}").json()["log"]]
    assert any(t.startswith("Legal hold placed") for t in log)
    assert any(t.startswith("Legal hold lifted") for t in log)


@pytest.mark.policy("SP-IRP-EVIDENCE", "IS-SENS-DISPOSE")
def test_the_shred_job_skips_a_held_person(platform, client, clock):
    person = shopper(platform, "erased")
    reference = case_with(client, person)  # listed, not yet held: erasure may go ahead
    request_id = _erasure_request(platform, person)
    with platform.unit_of_work(actor=SEEDER) as uow:
        reply = erasure.erase(uow, request_id)
    assert reply.key_destroyed_at is None  # waits for the confirmation mail
    assert client("ivy").post(f"/api/incidents/{reference}/hold", json=HOLD).status_code == 200
    clock.advance(timedelta(days=10))
    with platform.unit_of_work(actor=SEEDER) as uow:
        assert erasure.shred_due(uow) == []
    assert not platform.keystore.is_destroyed(person.subject_id)
    with platform.unit_of_work(actor=SEEDER) as uow:  # the operator at the shell lifts it
        operator = Viewer.operator()
        affected.lift_hold(
            uow, operator, service_of_incidents.find(uow, operator, reference), LIFT["reason"]
        )
    with platform.unit_of_work(actor=SEEDER) as uow:
        assert erasure.shred_due(uow) == [person.subject_id]
    assert platform.keystore.is_destroyed(person.subject_id)


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_customers_are_listed_by_reference_or_address_all_or_nothing(platform, client):
    one, two = shopper(platform, "one"), shopper(platform, "two")
    reference = open_case(client)
    iso = client("ivy")
    by_address = iso.post(
        f"/api/incidents/{reference}/affected", json={"customers": [two.email.upper()]}
    )
    assert by_address.status_code == 200, by_address.text
    assert [c["reference"] for c in by_address.json()["customers"]] == [two.reference]
    refused = iso.post(
        f"/api/incidents/{reference}/affected",
        json={"customers": [one.reference, "C9999999", "nobody@example.com"]},
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert "C9999999" in problem["detail"]
    assert "nobody@example.com" not in refused.text  # the typed address is not repeated
    assert problem["errors"][0]["field"] == "customers"
    with platform.unit_of_work() as uow:
        listed = uow.session.scalars(select(IncidentAffected.customer_reference)).all()
    assert listed == [two.reference]  # nothing of the refused list was kept
    again = iso.post(f"/api/incidents/{reference}/affected", json={"customers": [two.reference]})
    assert again.status_code == 409


@pytest.mark.policy("SP-IRP-EVIDENCE", "SP-IRT")
@pytest.mark.parametrize("who", ["ted", "dora", "dpo", "sue"])
def test_only_the_iso_places_or_lifts_the_hold(platform, client, who):
    person = shopper(platform, "p")
    reference = case_with(client, person)
    answer = client(who).post(f"/api/incidents/{reference}/hold", json=HOLD)
    assert answer.status_code == 403
    with platform.unit_of_work() as uow:
        assert holds.holds_on(uow, [person.subject_id]) == []


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_the_hold_on_a_dismissed_incident_is_not_in_force(platform, client):
    person = shopper(platform, "p")
    iso = client("ivy")
    reference = (
        client("sue")
        .post(
            "/api/incidents",
            json={
                "kind": "misdirected_data",
                "what_happened": "An order confirmation went to the wrong address.",
                "personal_data": "yes",
                "card_data": "no",
            },
        )
        .json()["reference"]
    )
    iso.post(f"/api/incidents/{reference}/affected", json={"customers": [person.reference]})
    iso.post(f"/api/incidents/{reference}/hold", json=HOLD)
    with platform.unit_of_work() as uow:
        assert len(holds.holds_on(uow, [person.subject_id])) == 1
    iso.post(f"/api/incidents/{reference}/transition", json={"to": "investigating"})
    dismissed = iso.post(
        f"/api/incidents/{reference}/transition",
        json={"to": "dismissed", "reason": "It went to the customer's own second address."},
    )
    assert dismissed.status_code == 200, dismissed.text
    with platform.unit_of_work() as uow:
        assert holds.holds_on(uow, [person.subject_id]) == []


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_the_console_page_places_and_lifts_the_hold(platform, client):
    person = shopper(platform, "page")
    reference = open_case(client)
    iso = client("ivy")
    page = f"/staff/incidents/{reference}/affected"
    added = form(iso, page, {"customers": person.reference, "why": "In the leaked file."})
    assert added.status_code == 303, added.text
    assert form(iso, f"{page.rsplit('/', 1)[0]}/hold", HOLD).status_code == 303
    shown = iso.get(page, headers=BROWSER)
    assert shown.status_code == 200
    assert person.reference in shown.text
    assert "In force" in shown.text
    assert person.email not in shown.text
    short = form(iso, f"/staff/incidents/{reference}/hold/lift", {"reason": "done"})
    assert short.status_code == 422
    assert "Why the hold can be lifted: must be at least 10 characters" in short.text
    assert form(iso, f"/staff/incidents/{reference}/hold/lift", LIFT).status_code == 303
    assert "No legal hold is in force." in iso.get(page, headers=BROWSER).text
    case = iso.get(f"/staff/incidents/{reference}", headers=BROWSER).text
    assert f'href="/staff/incidents/{reference}/affected"' in case


@pytest.mark.policy("SP-IRP-EVIDENCE", "PP-R-ERASE")
def test_the_dpo_sees_why_an_erasure_waits_and_the_refusal_on_the_page(platform, client):
    person = shopper(platform, "waiting")
    reference = case_with(client, person)
    client("ivy").post(f"/api/incidents/{reference}/hold", json=HOLD)
    request_id = _erasure_request(platform, person)
    with platform.unit_of_work() as uow:
        request = service.get(uow, request_id)
        request_ref = request.reference
    dpo = client("dpo")
    page = dpo.get(f"/staff/requests/{request_ref}", headers=BROWSER)
    assert page.status_code == 200
    assert "The erasure waits" in page.text
    assert f"incident {reference}" in page.text
    refused = dpo.post(f"/api/rights/requests/{request_id}/erase")
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/erasure-held")
    assert f"incident {reference}" in refused.json()["detail"]
    assert _accounts(platform, person) == 1
