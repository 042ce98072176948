"""The stale-data review over HTTP (DP-ACCURATE): the DPO's JSON, HTML and CSV report, who may
read it, confirmations by staff and by customers, and corrections counting as reviews."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from accuracy_support import (
    CUSTOMER_PASSWORD,
    audit_details,
    make_staff,
    seed_customer,
    staff_client,
)
from fastapi.routing import APIRoute

from klaremont.accuracy.permissions import AccuracyPermission
from klaremont.accuracy.web import api as accuracy_api
from klaremont.customers.permissions import CustomerPermission
from klaremont.staff.permissions import Role, role_permissions
from klaremont.staff.web.guard import access_rule_of

BASE = "/api/accuracy"
DAY = timedelta(days=1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no csrf_token field on the page"
    return found.group(1)


@pytest.mark.policy("DP-ACCURATE", "DP-DPO")
def test_only_the_dpo_role_reads_the_report():
    """``accuracy:review`` guards the report and is held by the DPO role alone."""
    rules = {
        (min(r.methods), r.path): access_rule_of(r)
        for r in accuracy_api.router.routes
        if isinstance(r, APIRoute)
    }
    assert rules["GET", f"{BASE}/stale"].permissions == {AccuracyPermission.ACCURACY_REVIEW}
    assert rules["POST", f"{BASE}/customers/{{key}}/confirm"].permissions == {
        CustomerPermission.CUSTOMERS_UPDATE
    }
    holders = {
        role
        for role, held in role_permissions().items()
        if AccuracyPermission.ACCURACY_REVIEW in held
    }
    assert holders == {Role.DPO}


@pytest.mark.policy("DP-ACCURATE")
def test_dpo_gets_the_report_as_json_without_personal_values(platform, dpo, bob):
    """The JSON lists overdue records by reference and subject id, and no canary value."""
    alice = seed_customer(platform, "alice", age=DAY * 700)
    seed_customer(platform, "carol", age=DAY * 600)
    response = dpo.get(f"{BASE}/stale")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["reference"] for i in body["overdue"]] == [bob.reference]
    assert [i["reference"] for i in body["due_soon"]] == [alice.reference]
    assert body["overdue"][0]["subject_id"] == str(bob.subject_id)
    assert body["overdue"][0]["categories"] == ["identity", "contact", "address", "orders"]
    assert (body["overdue_total"], body["due_soon_total"], body["truncated"]) == (1, 1, False)
    for value in [*alice.canaries, *bob.canaries]:
        assert value not in response.text
    assert dpo.get(f"{BASE}/stale", params={"within_days": 0}).json()["due_soon"] == []
    assert len(audit_details(platform, "accuracy.report")) == 2


@pytest.mark.policy("DP-ACCURATE", "IS-SENS-NEED")
def test_other_roles_are_refused_the_report_and_the_refusal_is_audited(platform, agent, bob):
    """A support agent (who may confirm) and marketing staff get 403 on the report, audited."""
    response = agent.get(f"{BASE}/stale")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "accuracy:review" in response.json()["detail"]
    assert agent.get("/staff/accuracy-review").status_code == 403
    assert agent.get("/staff/accuracy-review.csv").status_code == 403
    make_staff(platform, "marketer", Role.MARKETING)
    with staff_client(platform, "marketer") as marketer:
        assert marketer.get(f"{BASE}/stale").status_code == 403
        assert marketer.get(f"{BASE}/customers/{bob.reference}").status_code == 403
        confirm = marketer.post(
            f"{BASE}/customers/{bob.reference}/confirm", json={"channel": "phone"}
        )
        assert confirm.status_code == 403
    denied = audit_details(platform, "authz.denied")
    assert len(denied) == 6
    assert audit_details(platform, "accuracy.report") == []
    assert audit_details(platform, "accuracy.confirm") == []


@pytest.mark.policy("DP-ACCURATE")
def test_support_agent_confirms_for_the_customer_and_reads_the_status(platform, clock, agent, bob):
    """A confirmation by phone is recorded, restarts the clock and shows in the history."""
    before = agent.get(f"{BASE}/customers/{bob.reference}")
    assert before.status_code == 200, before.text
    assert (before.json()["state"], before.json()["basis"]) == ("overdue", "created")
    done = agent.post(f"{BASE}/customers/{bob.reference}/confirm", json={"channel": "phone"})
    assert done.status_code == 201, done.text
    assert done.json()["next_due_on"] == (clock.now() + DAY * 730).date().isoformat()
    after = agent.get(f"{BASE}/customers/{bob.customer_id}").json()
    assert (after["state"], after["basis"], after["days_left"]) == ("current", "confirmed", 730)
    assert [(h["channel"], h["actor_type"]) for h in after["history"]] == [("phone", "staff")]
    for value in bob.canaries:
        assert value not in str(after)


@pytest.mark.parametrize(
    ("call", "body", "field"),
    [
        ("POST /customers/{ref}/confirm", {"channel": "fax"}, "channel"),
        ("POST /customers/{ref}/confirm", {"channel": "privacy_centre"}, "channel"),
        ("POST /customers/{ref}/confirm", {"channel": "phone", "by": "x"}, "by"),
        ("GET /stale?within_days=400", None, "within_days"),
        ("GET /stale?limit=0", None, "limit"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(dpo, bob, call, body, field):
    """Invalid input is answered with problem+json naming the field and the rule."""
    method, path = call.split(" ")
    response = dpo.request(method, BASE + path.format(ref=bob.reference), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]


def test_an_unknown_customer_is_not_found(dpo):
    """A reference nobody holds is a 404 problem."""
    response = dpo.post(f"{BASE}/customers/C9999999/confirm", json={"channel": "phone"})
    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


@pytest.mark.policy("DP-ACCURATE", "PP-R-RECTIFY")
def test_a_staff_correction_counts_as_a_review(platform, agent, dpo, bob):
    """Correcting a phone number through the customer API takes the record off the report."""
    assert [i["reference"] for i in dpo.get(f"{BASE}/stale").json()["overdue"]] == [bob.reference]
    response = agent.patch(
        f"/api/customers/{bob.reference}",
        params={"purpose": "support"},
        json={"phone": "0113 496 0999"},
    )
    assert response.status_code == 200, response.text
    assert dpo.get(f"{BASE}/stale").json()["overdue"] == []
    status = agent.get(f"{BASE}/customers/{bob.reference}").json()
    assert (status["basis"], status["history"][0]["channel"]) == ("rectified", "staff_correction")
    [event] = audit_details(platform, "accuracy.confirm")
    assert event["fields"] == ["phone"]
    assert "0113 496 0999" not in str(event)


@pytest.mark.policy("DP-ACCURATE")
def test_dpo_sees_the_report_as_a_page_and_as_csv(platform, dpo, bob):
    """The staff console page lists the records and links the CSV; neither shows a canary."""
    alice = seed_customer(platform, "alice", age=DAY * 700)
    page = dpo.get("/staff/accuracy-review")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert bob.reference in page.text
    assert alice.reference in page.text
    assert 'id="overdue-total">Overdue: 1<' in page.text
    assert "Account opened" in page.text  # what the last review was, in words
    assert " days overdue<" in page.text
    assert not re.search(r">\d{4}-\d{2}-\d{2}", page.text)  # UK dates, not ISO
    assert ">payment_cards<" not in page.text
    assert 'href="/staff/accuracy-review"' in page.text  # in the console's navigation
    download = dpo.get("/staff/accuracy-review.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    lines = download.text.splitlines()
    assert lines[0].startswith("state,reference,subject_id,basis")
    assert lines[1].startswith(f"overdue,{bob.reference},{bob.subject_id},created")
    assert lines[2].startswith(f"due_soon,{alice.reference}")
    for value in [*alice.canaries, *bob.canaries]:
        assert value not in page.text
        assert value not in download.text
    formats = [d["formats"] for d in audit_details(platform, "accuracy.report")]
    assert formats == [["html"], ["csv"]]


@pytest.mark.policy("DP-ACCURATE")
def test_dpo_records_a_confirmation_from_the_page(platform, dpo, bob):
    """The page's form records a confirmation; a bad reference is shown as an error on the page."""
    token = _csrf(dpo.get("/staff/accuracy-review").text)
    done = dpo.post(
        "/staff/accuracy-review/confirm",
        data={"csrf_token": token, "reference": bob.reference, "channel": "letter"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shown = dpo.get(done.headers["location"])
    assert f"Recorded: {bob.reference} confirmed accurate." in shown.text
    assert 'id="overdue-total">Overdue: 0<' in shown.text
    wrong = dpo.post(
        "/staff/accuracy-review/confirm",
        data={"csrf_token": token, "reference": "C9999999", "channel": "letter"},
    )
    assert wrong.status_code == 404
    assert "No such customer." in wrong.text
    [event] = audit_details(platform, "accuracy.confirm")
    assert event["channel"] == "letter"


@pytest.mark.policy("DP-ACCURATE")
def test_a_customer_confirms_their_details_in_the_privacy_centre(platform, client, bob):
    """Signed in, the customer sees their review date and confirms; the record leaves the report."""
    assert "Sign in" in client.get("/privacy/my-details").text
    token = _csrf(client.get("/privacy/sign-in").text)
    signed = client.post(
        "/privacy/sign-in",
        data={"email": bob.email, "password": CUSTOMER_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    page = client.get("/privacy/my-details")
    assert page.status_code == 200
    assert 'id="review-due" class="overdue"' in page.text
    forged = client.post("/privacy/my-details/confirm", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    done = client.post(
        "/privacy/my-details/confirm", data={"csrf_token": _csrf(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    thanked = client.get(done.headers["location"])
    assert "your details are correct" in thanked.text
    assert 'class="overdue"' not in thanked.text
    [event] = audit_details(platform, "accuracy.confirm")
    assert event["channel"] == "privacy_centre"
    with platform.unit_of_work() as uow:
        from klaremont.accuracy.report import stale_records  # noqa: PLC0415

        assert stale_records(uow).overdue == []
