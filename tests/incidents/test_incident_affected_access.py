"""Who reaches the affected customers of an incident: a support agent, a marketing user and an
engineer off the team get 403 or 404 on every route, API and page, each refusal audited, and
nothing of the case (its customers) leaks; directors, the DPO and the team read it but do
not place the hold, list customers or send notices: those are the ISO's."""

from __future__ import annotations

import pytest
from affected_support import case_with, shopper
from casefile_support import BROWSER
from incidents_support import events

REASON = {"reason": "Keep everything about these customers for the ICO."}
NOTICE = {
    "nature": "A file of accounts was copied.",
    "consequences": "Fake messages may follow.",
    "measures": "Sessions were reset.",
}


def _routes(reference: str, customer: str) -> list[tuple[str, str, dict | None, dict | None]]:
    """(method, path, json, form) of every affected-customer route."""
    api, page = f"/api/incidents/{reference}", f"/staff/incidents/{reference}"
    exempt = {"ground": "unintelligible", "reasoning": "The disk was encrypted throughout."}
    return [
        ("GET", f"{api}/affected", None, None),
        ("POST", f"{api}/affected", {"customers": [customer]}, None),
        ("POST", f"{api}/hold", REASON, None),
        ("POST", f"{api}/hold/lift", REASON, None),
        ("POST", f"{api}/customer-notices", NOTICE, None),
        ("POST", f"{api}/customer-notices/not-required", exempt, None),
        ("GET", f"{page}/affected", None, None),
        ("POST", f"{page}/affected", None, {"customers": customer}),
        ("POST", f"{page}/hold", None, REASON),
        ("POST", f"{page}/hold/lift", None, REASON),
        ("POST", f"{page}/customer-notices", None, NOTICE),
        ("POST", f"{page}/customer-notices/not-required", None, exempt),
    ]


def _call(api, route):
    method, path, body, form = route
    if form is not None:
        return api.request(
            method,
            path,
            data={**form, "csrf_token": api.headers["X-CSRF-Token"]},
            headers=BROWSER,
            follow_redirects=False,
        )
    return api.request(method, path, json=body, follow_redirects=False)


@pytest.mark.policy("SP-IRP-EVIDENCE", "SP-IRT", "IS-SENS-NEED")
@pytest.mark.parametrize("outsider", ["sue", "mark", "ollie"])
def test_outsiders_reach_nothing_of_the_affected_customers(platform, client, outsider):
    person = shopper(platform, "listed")
    reference = case_with(client, person)
    api = client(outsider)
    denied_before = len(events(platform, "incident.access_denied"))
    authz_before = len(events(platform, "authz.denied"))
    not_found = forbidden = 0
    for route in _routes(reference, person.reference):
        answer = _call(api, route)
        assert answer.status_code in {403, 404}, (route[:2], answer.status_code, answer.text)
        assert person.reference not in answer.text, route[:2]
        not_found += answer.status_code == 404
        forbidden += answer.status_code == 403
    assert len(events(platform, "incident.access_denied")) - denied_before == not_found
    assert len(events(platform, "authz.denied")) - authz_before == forbidden
    assert not_found >= 2  # the two reads answer as if the incident did not exist
    assert events(platform, "incident.hold_placed") == []
    assert events(platform, "incident.customer_notices_sent") == []


@pytest.mark.policy("SP-IRP-EVIDENCE", "SP-IRT")
@pytest.mark.parametrize("reader", ["dan", "dpo", "ted"])
def test_directors_the_dpo_and_the_team_read_but_do_not_act(platform, client, reader):
    person = shopper(platform, "listed")
    reference = case_with(client, person)
    api = client(reader)
    got = api.get(f"/api/incidents/{reference}/affected")
    assert got.status_code == 200
    assert [c["reference"] for c in got.json()["customers"]] == [person.reference]
    page = api.get(f"/staff/incidents/{reference}/affected", headers=BROWSER)
    assert page.status_code == 200
    assert person.reference in page.text
    assert "Place the legal hold" not in page.text  # the ISO's form is not shown
    for route in _routes(reference, person.reference):
        if route[0] == "POST":
            assert _call(api, route).status_code == 403, route[:2]
