"""The audit log page names each event's resource as staff know it, never by a bare id."""

from __future__ import annotations

import re
import uuid

import pytest
from rights_support import TEST_ACTOR
from sqlalchemy import select

from klaremont.audit import resource_names
from klaremont.audit.events import Actor, ActorType, AuditAction
from klaremont.customers.models import ContactRecord, PaymentCard
from klaremont.rights import intake
from klaremont.rights.states import RequestKind
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _things(platform, alice):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request = intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE)
        card = uow.session.scalars(
            select(PaymentCard.id).where(PaymentCard.customer_id == alice.customer_id)
        ).first()
        contact = uow.session.scalars(
            select(ContactRecord.id).where(ContactRecord.customer_id == alice.customer_id)
        ).first()
        ivy = uow.session.scalars(
            select(StaffAccount.id).where(StaffAccount.username == "ivy")
        ).one()
        return {
            f"subject:{alice.subject_id}": f"Customer {alice.reference}",
            f"customer:{alice.customer_id}/addresses": f"Customer {alice.reference}: addresses",
            f"address:{alice.address_ids[0]}": f"Address of customer {alice.reference}",
            f"contact:{contact}": f"Contact record of customer {alice.reference}",
            f"card:{card}": f"Card ending 4242 of customer {alice.reference}",
            f"dsr:{request.id}": f"Request {request.reference}",
            f"staff:{ivy}": "Staff account ivy",
            f"subject:{uuid.uuid4()}": "A person not on record",
            f"remote-grant:{uuid.uuid4()}": "A remote access grant not on record",
            "policy:DP:2026.1": "Policy DP:2026.1",
            "staff:sam": "Staff account sam",
            "audit_events": "The audit log",
            "shop": "shop",
        }


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_the_audit_page_names_resources_in_words_with_the_stored_text_on_hover(platform, alice):
    """Every kind of resource with an id reads as the thing; the stored text stays on hover."""
    make_staff(platform, "ivy", Role.ISO)
    expected = _things(platform, alice)
    with platform.unit_of_work(actor=Actor(ActorType.STAFF, "test")) as uow:
        assert resource_names.names(uow.session, expected) == expected
        for resource in expected:
            uow.audit(AuditAction.DEMO_SEED, resource=resource)
    with staff_client(platform, "ivy") as client:
        client.headers["Accept"] = "text/html"
        page = client.get("/staff/audit", params={"action": "demo.seed"})
    assert page.status_code == 200
    cells = re.findall(r'<td class="wrap" data-label="Resource"([^>]*)>([^<]*)</td>', page.text)
    shown = {words: attributes for attributes, words in cells}
    for stored, words in expected.items():
        assert words in shown, words
        if stored != words:
            assert f'title="{stored}"' in shown[words]
    assert not [words for words in shown if _UUID.search(words)]


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_a_customer_who_acted_reads_as_their_reference(platform, alice):
    """The Who column names a customer by account reference, the stored id on hover."""
    make_staff(platform, "ivy", Role.ISO)
    with platform.unit_of_work(actor=Actor(ActorType.CUSTOMER, str(alice.customer_id))) as uow:
        uow.audit(AuditAction.DEMO_SEED, resource="privacy-centre")
    with staff_client(platform, "ivy") as client:
        client.headers["Accept"] = "text/html"
        page = client.get("/staff/audit", params={"action": "demo.seed"}).text
    who = re.findall(r'<td data-label="Who" title="([^"]*)">([^<]*)</td>', page)
    assert (f"customer:{alice.customer_id}", f"Customer {alice.reference}") in who
