"""Ownership: one customer can never reach another's request, copy or download link by
changing an id or reusing a token -- in the services and on every customer route
(PP-R-ACCESS, PP-R-PORT)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from rights_support import TEST_ACTOR, latest_code, latest_link

from klaremont.customers.models import Customer
from klaremont.errors import NotFound
from klaremont.privacy import signin
from klaremont.rights import delivery, fulfil, intake, service
from klaremont.rights.ports import CustomerIdentity
from klaremont.rights.states import RequestKind
from klaremont.staff.hashing import hashing_for
from klaremont.web.app import create_app

PASSWORD = "plum-orchard-seven-lanterns"


def _fulfilled(platform, person, kind=RequestKind.ACCESS):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, kind)
        if made.state.value != "fulfilled":
            fulfil.fulfil(uow, made.id)
    return made.id


@pytest.mark.policy("PP-R-ACCESS", "PP-R-PORT")
def test_services_answer_another_persons_ids_as_not_found(platform, alice, bob):
    """get_owned, for_owner and by_token refuse Bob every one of Alice's requests and links."""
    alice_request = _fulfilled(platform, alice)
    alice_port = _fulfilled(platform, alice, RequestKind.PORTABILITY)
    _, alice_token = latest_link(platform, alice.subject_id)
    bob_request = _fulfilled(platform, bob)
    _, bob_token = latest_link(platform, bob.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for request_id in (alice_request, alice_port):
            with pytest.raises(NotFound):
                service.get_owned(uow, bob.subject_id, request_id)
            for fmt in ("json", "html", "zip"):
                with pytest.raises(NotFound):
                    delivery.for_owner(uow, bob.subject_id, request_id, fmt)
        with pytest.raises(NotFound):  # Bob's own token, Alice's request id
            delivery.by_token(uow, alice_port, bob_token, "json")
        with pytest.raises(NotFound):  # Alice's token presented by signed-in Bob
            delivery.by_token(uow, alice_port, alice_token, "json", subject_id=bob.subject_id)
        with pytest.raises(NotFound):  # Alice's token with Bob's request id
            delivery.by_token(uow, bob_request, alice_token, "json")
        assert service.get_owned(uow, alice.subject_id, alice_request).id == alice_request
        owned = delivery.for_owner(uow, alice.subject_id, alice_request, "json")
        assert alice.email.encode() in owned.content


@pytest.mark.policy("PP-R-ACCESS")
def test_a_code_confirms_only_its_own_request(platform, alice, bob):
    """Bob's code cannot verify Alice's pending request, nor the reverse."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        alice_receipt = intake.submit_by_email(uow, alice.email, RequestKind.ERASURE)
        bob_receipt = intake.submit_by_email(uow, bob.email, RequestKind.ERASURE)
    bob_code = latest_code(platform, bob.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert intake.confirm_email_code(uow, alice_receipt.request_id, bob_code) is None
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert intake.confirm_email_code(uow, bob_receipt.request_id, bob_code) is not None


@pytest.mark.policy("PP-R-ACCESS")
def test_a_signed_in_identity_must_hold_its_account(platform, alice, bob):
    """A request naming Alice's subject with Bob's account is refused as not found."""
    mixed = CustomerIdentity(subject_id=alice.subject_id, customer_id=bob.customer_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(NotFound):
        intake.submit_signed_in(uow, mixed, RequestKind.ACCESS)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(NotFound):
        intake.submit_signed_in(
            uow, CustomerIdentity(alice.subject_id, uuid.uuid4()), RequestKind.ACCESS
        )


def _signed_in_client(platform, person) -> TestClient:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        customer = uow.session.get(Customer, person.customer_id)
        customer.password_hash = hashing_for(platform).hash(PASSWORD)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        principal = signin.sign_in(uow, person.email, PASSWORD)
        assert principal is not None
        key = principal.key
    client = TestClient(create_app(platform), base_url="https://testserver")
    client.cookies.set("klaremont_customer", key)
    return client


@pytest.mark.policy("PP-R-ACCESS", "PP-R-PORT")
def test_every_customer_route_refuses_another_persons_ids(platform, alice, bob):
    """Signed in as Bob, Alice's request page and every download form of it are 'not found'."""
    alice_access = _fulfilled(platform, alice)
    alice_port = _fulfilled(platform, alice, RequestKind.PORTABILITY)
    _, alice_token = latest_link(platform, alice.subject_id)
    bob_request = _fulfilled(platform, bob)
    with _signed_in_client(platform, bob) as client:
        assert client.get(f"/privacy/requests/{bob_request}").status_code == 200
        own = client.get(f"/privacy/requests/{bob_request}/download", params={"fmt": "json"})
        assert own.status_code == 200
        assert bob.email.encode() in own.content
        attempts = [
            client.get(f"/privacy/requests/{alice_access}"),
            client.get(f"/privacy/requests/{alice_port}"),
            *(
                client.get(f"/privacy/requests/{rid}/download", params={"fmt": fmt})
                for rid in (alice_access, alice_port)
                for fmt in ("json", "html", "zip")
            ),
            client.get(
                f"/privacy/requests/{alice_port}/download",
                params={"fmt": "json", "token": alice_token},
            ),
            client.get(
                f"/privacy/requests/{bob_request}/download",
                params={"fmt": "json", "token": alice_token},
            ),
        ]
        for response in attempts:
            assert response.status_code == 404, response.request.url
            assert alice.email.encode() not in response.content
            assert alice.canaries["customers.name"].encode() not in response.content
