"""What a customer reads: a request form with no choice made for them, "my data" in plain
English, and no developer wording anywhere (PP-R-ACCESS, PP-R-ERASE, DP-FAIR)."""

from __future__ import annotations

import json
import re

import pytest
from privacy_support import TEST_ACTOR, csrf_of, make_customer, sign_in
from sqlalchemy import func, select

from klaremont.customers.models import CollectionChannel, Invoice, Order, OrderLine, OrderStatus
from klaremont.display import uk_datetime
from klaremont.policy.purposes import LawfulBasis
from klaremont.rights.models import RightsRequest

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
CLAUSE = re.compile(r"\b[A-Z]{2}-[A-Z]+")
DEVELOPER = ("Input should", "Field required", "total pence", "_pence", "subject_id", "uuid")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
CARD = "4111 1111 1111 1111"


def _add_order(platform, person) -> None:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        now = uow.clock.now()
        provenance = {
            "channel": CollectionChannel.WEBSITE_PURCHASE,
            "collected_at": now,
        }
        order = Order(
            subject_id=person.subject_id,
            customer_id=person.customer_id,
            number="KL00000777",
            placed_at=now,
            status=OrderStatus.PAID,
            total_pence=9400,
            lawful_basis=LawfulBasis.CONTRACT,
            **provenance,
        )
        order.lines.append(
            OrderLine(
                position=1, sku="KL-MUG-02", description="Mug", quantity=2, unit_price_pence=4700
            )
        )
        uow.session.add(order)
        invoice = Invoice(
            subject_id=person.subject_id,
            order=order,
            number="INV00000777",
            issued_at=now,
            net_pence=7833,
            vat_pence=1567,
            lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
            **provenance,
        )
        invoice.billing_name = person.name
        invoice.billing_address = "12 High Street, Leeds, LS1 4AB"
        uow.session.add(invoice)


def _text(html: str) -> str:
    """What the person reads: the page's main part without tags (form values, links)."""
    main = re.split(r"<main\b[^>]*>", html, maxsplit=1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


def _assert_plain(html: str, where: str) -> None:
    text = _text(html).replace("KL-MUG-02", "")  # a product code is the shop's own, not a clause id
    assert not UUID.search(text), (where, UUID.search(text))
    assert not CLAUSE.search(text), (where, CLAUSE.search(text))
    for phrase in DEVELOPER:
        assert phrase not in text, (where, phrase)
    assert not ISO_TIME.search(text), where


@pytest.mark.policy("PP-R-ERASE")
def test_the_request_forms_make_no_choice_for_the_person(platform, client):
    """Neither request form preselects a request (erasure was preselected before)."""
    person = make_customer(platform)
    visitor = client.get("/privacy/verify").text
    assert '<option value="" selected disabled>Choose a request</option>' in visitor
    assert visitor.count(" selected") == 1
    sign_in(client, person)
    form = client.get("/privacy/requests").text
    assert '<option value="" selected disabled>Choose a request</option>' in form
    assert form.count(" selected") == 1


@pytest.mark.policy("PP-R-ERASE")
def test_a_request_without_a_choice_is_refused_in_plain_words(platform, client):
    """The server refuses a missing choice with a readable message and records nothing."""
    person = make_customer(platform)
    token = sign_in(client, person)
    response = client.post("/privacy/requests", data={"csrf_token": token, "message": "hello"})
    assert response.status_code == 422
    assert "Please choose one of the requests in the list." in response.text
    assert ">hello</textarea>" in response.text
    _assert_plain(response.text, "signed-in form")
    client.cookies.clear()
    visitor_token = csrf_of(client.get("/privacy/verify").text)
    response = client.post(
        "/privacy/verify",
        data={"csrf_token": visitor_token, "email": person.email, "message": "about my orders"},
    )
    assert response.status_code == 422
    assert "Please choose one of the requests in the list." in response.text
    assert f'value="{person.email}"' in response.text  # what was typed is kept
    assert ">about my orders</textarea>" in response.text
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RightsRequest)) == 0


@pytest.mark.policy("PP-R-ACCESS", "DP-FAIR")
def test_my_data_reads_for_a_person_and_the_download_stays_complete(platform, client, clock):
    """Money in pounds, UK dates, plain labels, no ids; the JSON copy keeps everything."""
    person = make_customer(platform)
    _add_order(platform, person)
    token = sign_in(client, person)
    page = client.get("/privacy/my-data").text
    _assert_plain(page, "my data")
    assert "£94.00" in page
    assert "£47.00" in page
    assert uk_datetime(clock.now()) in page
    assert "<h3>Order KL00000777</h3>" in page
    assert "<h3>From order KL00000777</h3>" in page  # an item names its order, not an id
    assert "<dt>Total</dt>" in page
    assert "<dt>Why we may hold it</dt><dd>To carry out our contract with you</dd>" in page
    assert person.name in page
    made = client.post("/privacy/my-data/export", data={"csrf_token": token})
    reference = re.search(r"/privacy/requests/(DSR-[A-Z0-9]{8})/download", made.text).group(1)
    document = json.loads(client.get(f"/privacy/requests/{reference}/download?fmt=json").content)
    order = document["data"]["orders"]["rows"][0]
    assert order["total_pence"] == 9400
    assert order["customer_id"] == str(person.customer_id)
    assert document["subject_id"] == str(person.subject_id)


@pytest.mark.policy("DP-FAIR", "IS-SENS-MASK")
def test_no_developer_wording_on_any_page_a_customer_reads(platform, client):
    """Every page, signed in or not, and the error pages, read as plain English."""
    person = make_customer(platform)
    _add_order(platform, person)
    pages = ["/privacy/", "/privacy/verify", "/privacy/requests", "/privacy/my-data"]
    pages += ["/privacy/marketing", "/privacy/cookies", "/privacy/my-details"]
    for path in pages:
        _assert_plain(client.get(path).text, f"signed out {path}")
    token = sign_in(client, person)
    for path in pages:
        _assert_plain(client.get(path).text, f"signed in {path}")
    html = {"Accept": "text/html"}
    broken_link = client.get("/privacy/requests/not-a-request", headers=html)
    assert broken_link.status_code == 404
    assert "There is no such request" in broken_link.text
    _assert_plain(broken_link.text, "a broken link")
    card = client.post(
        "/privacy/requests", data={"csrf_token": token, "message": CARD}, headers=html
    )
    assert card.status_code == 422
    assert "card numbers" in card.text
    _assert_plain(card.text, "card refused")
    too_long = client.post(
        "/privacy/requests",
        data={"csrf_token": token, "kind": "access", "message": "x" * 3000},
        headers=html,
    )
    assert too_long.status_code == 422
    assert "too long" in too_long.text
    _assert_plain(too_long.text, "too long")


@pytest.mark.policy("PP-R-ACCESS", "DP-FAIR")
def test_my_data_shows_the_persons_requests_as_they_know_them(platform, client):
    """Requests read by reference, kind, status and dates: not the clock's working notes."""
    person = make_customer(platform)
    token = sign_in(client, person)
    client.post("/privacy/requests", data={"csrf_token": token, "kind": "restriction"})
    client.post("/privacy/my-data/export", data={"csrf_token": token})
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        references = uow.session.scalars(select(RightsRequest.reference)).all()
    page = client.get("/privacy/my-data").text
    _assert_plain(page, "my data with requests")
    text = _text(page)
    assert "Your privacy requests" in text
    for reference in references:
        assert f"Request {reference}" in text
    assert "Restriction" in text
    assert "Access (a copy of my data)" in text
    for working_note in ("Dsr", "dpo", "Open key", "Routed", "Created by", "customer:", "{"):
        assert working_note not in text, working_note
