"""The demo shows phase 2b: the reporting-server compromise lists two customers as affected,
their data under the legal hold, and the hold and notice checks hold on the seeded shop."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from klaremont import holds
from klaremont.customers.models import Customer
from klaremont.demo import service as demo
from klaremont.incidents import hold_checks

SMALL = demo.DemoSize(customers=12, seed=11)


@pytest.mark.policy("SP-IRP-EVIDENCE", "SP-IRP-NOTIFY")
def test_the_demo_holds_two_customers_of_the_compromise(platform):
    demo.seed(platform, SMALL)
    with platform.unit_of_work() as uow:
        people = dict(
            uow.session.execute(
                select(Customer.reference, Customer.subject_id).where(
                    Customer.reference.in_(["C0000001", "C0000002", "C0000003"])
                )
            ).all()
        )
        found = holds.held_subjects(uow, people.values())
    held = {ref for ref, subject in people.items() if subject in found}
    assert held == {"C0000001", "C0000002"}
    assert all("incident INC-" in h.holder for hs in found.values() for h in hs)
    for check in (
        hold_checks.held_customers_are_kept,
        hold_checks.customer_notices_went_to_everyone_counted,
    ):
        result = check(platform)
        assert result.holds, result.detail
