"""Disclosures over the API and in the console (PP-NOSHARE, IS-USE-DISCLOSE)."""

from __future__ import annotations

import html
import json

import pytest

from klaremont.testing.staff import staff_client

HTML = {"accept": "text/html"}


def _body(alice_reference: str) -> dict[str, object]:
    return {
        "recipient_name": "Test Constabulary",
        "recipient_kind": "police",
        "recipient_country": "GB",
        "recipient_contact": "one@police.example",
        "customers": [alice_reference],
        "categories": ["contact"],
        "basis_kind": "statutory_obligation",
        "basis_reference": "DPA 2018 Sch 2 para 2",
        "reason": "Suspected fraud on an order placed last week.",
    }


@pytest.mark.policy("PP-NOSHARE", "IS-USE-DISCLOSE")
def test_the_api_refuses_the_export_until_another_director_approves(platform, cast, alice):
    """Request (DPO) -> export refused (409 problem) -> director approves -> export once."""
    dpo = staff_client(platform, "dpo")
    director = staff_client(platform, "dirk")
    made = dpo.post("/api/disclosures", json=_body(alice.reference))
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    refused = dpo.post(f"/api/disclosures/{reference}/export")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "approval" in refused.json()["detail"]
    assert dpo.post(f"/api/disclosures/{reference}/approve", json={}).status_code == 403
    approved = director.post(f"/api/disclosures/{reference}/approve", json={"note": "ok"})
    assert approved.status_code == 200, approved.text
    assert director.post(f"/api/disclosures/{reference}/export").status_code == 403
    got = dpo.post(f"/api/disclosures/{reference}/export")
    assert got.status_code == 200
    assert "attachment" in got.headers["content-disposition"]
    assert json.loads(got.content)["people"][0]["data"]["customers"][0]["email"] == alice.email
    assert dpo.post(f"/api/disclosures/{reference}/export").status_code == 409
    shown = dpo.get(f"/api/disclosures/{reference}").json()
    assert shown["state"] == "exported"
    assert shown["export_sha256"]


@pytest.mark.policy("IS-USE-DISCLOSE")
def test_the_console_offers_the_decision_to_a_director_only(platform, cast, alice):
    """Support may request but not read the register; the DPO sees no approve form; a
    director does, and approving through it lets the DPO download the export."""
    support = staff_client(platform, "sue")
    form = support.get("/staff/disclosures/new", headers=HTML).text
    assert 'type="checkbox" id="category-payment_cards"' in form  # ticked, not typed
    assert "> Saved payment cards</label>" in form
    data = {k: v for k, v in _body(alice.reference).items() if k not in {"customers", "categories"}}
    none_ticked = support.post(
        "/staff/disclosures/new",
        data={**data, "customers": alice.reference},
        headers=HTML,
        follow_redirects=False,
    )
    assert none_ticked.status_code == 422
    assert "Data categories: must be filled in" in none_ticked.text
    unknown = support.post(
        "/staff/disclosures/new",
        data={**data, "customers": "C9999999", "categories": ["orders"]},
        headers=HTML,
        follow_redirects=False,
    )
    assert unknown.status_code == 422
    kept = unknown.text  # the form again as typed, for the one thing to correct
    assert f'value="{html.escape(data["recipient_name"])}"' in kept
    assert 'id="category-orders" name="categories" value="orders" checked' in kept
    assert 'id="category-contact" name="categories" value="contact">' in kept
    sent = support.post(
        "/staff/disclosures/new",
        data={**data, "customers": alice.reference, "categories": ["contact", "orders"]},
        headers=HTML,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert "/staff/disclosures/new?done=DX-" in sent.headers["location"]
    reference = sent.headers["location"].rsplit("=", 1)[-1]
    assert support.get("/staff/disclosures", headers=HTML).status_code == 403
    dpo = staff_client(platform, "dpo")
    page = dpo.get(f"/staff/disclosures/d/{reference}", headers=HTML)
    assert page.status_code == 200
    assert "E-mail and telephone numbers; Orders" in page.text  # in words, not codes
    assert 'id="approve"' not in page.text
    assert 'id="export"' not in page.text
    director = staff_client(platform, "dirk")
    page = director.get(f"/staff/disclosures/d/{reference}", headers=HTML)
    assert 'id="approve"' in page.text
    done = director.post(
        f"/staff/disclosures/d/{reference}/approve",
        data={"note": "checked"},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = dpo.get(f"/staff/disclosures/d/{reference}", headers=HTML)
    assert 'id="export"' in page.text
    got = dpo.post(f"/staff/disclosures/d/{reference}/export", headers=HTML)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/json")
    again = dpo.post(f"/staff/disclosures/d/{reference}/export", headers=HTML)
    assert again.status_code == 409
    assert "handed over once" in again.text
    register = dpo.get("/staff/disclosures", headers=HTML)
    assert reference in register.text
