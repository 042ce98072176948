"""``GET /metrics`` counts the staff section's work queues for the system as a whole: the
access review to sign, locked accounts and every remote-access request still waiting for an
approval (not only one approver's), with no name or reference in any label."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from klaremont.staff import service_accounts, service_remote
from klaremont.staff.permissions import Role
from klaremont.testing.staff import OFFICE_CLIENT, TEST_ACTOR, make_staff
from klaremont.web.app import create_app

QUEUE = "klaremont_work_queue_items"
STAFF = "Staff accounts"


def staff_queues(client: TestClient) -> dict[str, float]:
    """The staff section's urgencies and counts in one scrape (the real Prometheus parser)."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert "sam" not in response.text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == QUEUE and sample.labels["queue"] == STAFF:
                found[sample.labels["urgency"]] = sample.value
        if family.name == "klaremont_work_queue_failures":
            assert family.samples[0].value == 0
    return found


def test_the_staff_queues_are_exported_for_the_system(platform):
    make_staff(platform, "sam", Role.SUPPORT_AGENT)
    make_staff(platform, "mia", Role.DIRECTOR)
    with TestClient(
        create_app(platform), base_url="https://testserver", client=OFFICE_CLIENT
    ) as office:
        before = staff_queues(office)
        assert before["overdue"] >= 1  # the access review was never signed
        waiting = before.get("due", 0.0)
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            sam = service_accounts.account_by_username(uow, "sam")
            mia = service_accounts.account_by_username(uow, "mia")
            service_accounts.set_line_manager(uow, sam.id, mia.id, by="test")
            grant = service_remote.request_grant(uow, sam, reason="working from home", days=5)
        assert staff_queues(office)["due"] == waiting + 1
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            service_remote.revoke_grant(uow, grant.id, reason="no longer needed")
        assert staff_queues(office).get("due", 0.0) == waiting
