"""Customer notices (SP-IRP-NOTIFY, UK GDPR Art. 34): the ISO sends the breach notice from the
case through the real mail outbox; each affected customer with an address gets exactly one
(Art. 34(2) content: the nature, the DPO and how to reach them, the likely consequences,
the measures), a second send is refused, the tracker records "sent" with the count; the
Art. 34(3) exemption is recorded with its ground and reasoning instead."""

from __future__ import annotations

import pytest
from affected_support import case_with, outbox, shopper
from casefile_support import BROWSER, form
from incidents_support import events

from klaremont.testing.smtp import body_of, deliver_mail, smtp_server

NOTICE = {
    "nature": "On 2 March someone outside the company copied a file of customer accounts "
    "from one of our web servers.",
    "consequences": "The file held names and e-mail addresses, so you may receive "
    "convincing fake messages that claim to come from us.",
    "measures": "We closed the gap the same day and reset every session. Be wary of "
    "messages asking for your password: we never ask for it.",
}
SUBJECT = "Important: a security incident affecting your personal data"


def _customers_row(api, reference):
    case = api.get(f"/api/incidents/{reference}").json()
    return next(n for n in case["notifications"] if n["recipient"] == "customers")


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_each_affected_customer_gets_exactly_one_notice(platform, client):
    one, two = shopper(platform, "one"), shopper(platform, "two")
    silent = shopper(platform, "silent", email=False)
    bystander = shopper(platform, "bystander")
    reference = case_with(client, one, two, silent)
    iso = client("ivy")

    sent = iso.post(f"/api/incidents/{reference}/customer-notices", json=NOTICE)
    assert sent.status_code == 200, sent.text
    assert (sent.json()["told"], sent.json()["waiting"]) == (2, 1)  # one has no address
    row = _customers_row(iso, reference)
    assert row["decision"] == "sent"
    assert row["their_reference"] == "2 customers told by e-mail"
    again = iso.post(f"/api/incidents/{reference}/customer-notices", json=NOTICE)
    assert again.status_code == 409  # nobody with an address is left to tell
    assert "has an e-mail address on file" in again.json()["detail"]
    assert silent.reference in again.json()["detail"]
    assert len(outbox(platform, "breach_notice")) == 2

    with smtp_server() as (catcher, settings):
        deliver_mail(platform, settings)
    notices = [m for m in catcher.received if m["Subject"] == SUBJECT]
    received = {m["To"]: m for m in notices}
    assert sorted(received) == sorted([one.email, two.email])
    assert len(notices) == 2  # exactly one each
    body = body_of(received[one.email])
    for words in NOTICE.values():
        assert words in " ".join(body.split())
    assert reference in body
    assert "Data Protection Officer, Dpo Tester" in body
    assert "/privacy/" in body
    assert "Information Commissioner's Office" in body
    assert "Shopper" not in body  # no personal value of anyone
    assert bystander.email not in received
    assert len(events(platform, "incident.customer_notices_sent")) == 1

    # a customer listed later is told once too; those told before are not told again
    late = shopper(platform, "late")
    iso.post(f"/api/incidents/{reference}/affected", json={"customers": [late.reference]})
    assert iso.post(f"/api/incidents/{reference}/customer-notices", json=NOTICE).status_code == 200
    assert [to for to, _, _ in outbox(platform, "breach_notice")] == [
        one.email,
        two.email,
        late.email,
    ]
    assert _customers_row(iso, reference)["their_reference"] == "3 customers told by e-mail"


@pytest.mark.policy("SP-IRP-NOTIFY", "IS-SENS-EMAIL")
def test_a_notice_carrying_personal_data_is_refused_and_nothing_is_kept(platform, client):
    person = shopper(platform, "p")
    reference = case_with(client, person)
    iso = client("ivy")
    leaky = {**NOTICE, "nature": f"The export of {person.email} and others was copied."}
    refused = iso.post(f"/api/incidents/{reference}/customer-notices", json=leaky)
    assert refused.status_code == 422
    assert outbox(platform, "breach_notice") == []
    state = iso.get(f"/api/incidents/{reference}/affected").json()
    assert (state["told"], state["notice"]) == (0, "pending")
    assert (
        client("ted").post(f"/api/incidents/{reference}/customer-notices", json=NOTICE).status_code
        == 403
    )  # a team member does not send it: the ISO does


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_the_unintelligible_data_exemption_is_recorded_with_its_reasoning(platform, client):
    person = shopper(platform, "p")
    reference = case_with(client, person)
    iso = client("ivy")
    exempt = iso.post(
        f"/api/incidents/{reference}/customer-notices/not-required",
        json={
            "ground": "unintelligible",
            "reasoning": "The stolen laptop's disk was fully encrypted; its key is in our vault.",
        },
    )
    assert exempt.status_code == 200, exempt.text
    row = _customers_row(iso, reference)
    assert row["decision"] == "not_required"
    assert "unintelligible" in row["reasoning"]
    assert "keys were not compromised" in row["reasoning"]
    assert "fully encrypted" in row["reasoning"]
    refused = iso.post(f"/api/incidents/{reference}/customer-notices", json=NOTICE)
    assert refused.status_code == 409
    assert outbox(platform, "breach_notice") == []


@pytest.mark.policy("SP-IRP-NOTIFY")
def test_the_console_sends_the_notice_once(platform, client):
    person = shopper(platform, "page")
    reference = case_with(client, person)
    iso = client("ivy")
    page = f"/staff/incidents/{reference}/affected"
    shown = iso.get(page, headers=BROWSER).text
    assert "Send the notice to the customers not told yet" in shown
    assert "Dpo Tester" in shown
    done = form(iso, f"/staff/incidents/{reference}/customer-notices", NOTICE)
    assert done.status_code == 303, done.text
    after = iso.get(page, headers=BROWSER).text
    assert "1 told, 0 not yet" in after
    assert "Send the notice to the customers not told yet" not in after
    again = form(iso, f"/staff/incidents/{reference}/customer-notices", NOTICE)
    assert again.status_code == 409
    assert "already been sent the notice" in again.text
    assert len(outbox(platform, "breach_notice")) == 1
