"""The demo's data-subject requests: the DPO's queue opens on a morning's work."""

from __future__ import annotations

import pytest
from rights_support import make_staff, staff_client
from sqlalchemy import select

from klaremont.demo.service import DemoSize, seed
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import RequestState
from klaremont.staff.permissions import Role


@pytest.mark.policy("DP-PROMPT")
def test_the_demo_queue_shows_requests_at_every_point_of_their_clock(platform):
    """Waiting for a code, overdue, due within the week, paused, fulfilled: the queue says
    each in words, soonest deadline first, and nothing breaks reading any of them."""
    seed(platform, DemoSize(customers=12))
    with platform.unit_of_work() as uow:
        states = sorted(r.state for r in uow.session.scalars(select(RightsRequest)))
    assert states == sorted(
        [
            RequestState.IDENTITY_PENDING,
            RequestState.VERIFIED,
            RequestState.VERIFIED,
            RequestState.VERIFIED,
            RequestState.FULFILLED,
        ]
    )
    make_staff(platform, "dpo", Role.DPO)
    with staff_client(platform, "dpo") as dpo:
        dpo.headers["accept"] = "text/html"
        queue = dpo.get("/staff/requests")
        assert queue.status_code == 200
        text = queue.text
        assert "overdue by" in text
        assert "Paused" in text
        assert text.count('<a href="/staff/requests/DSR-') == 5
        with platform.unit_of_work() as uow:
            references = [r.reference for r in uow.session.scalars(select(RightsRequest))]
        for reference in references:
            assert dpo.get(f"/staff/requests/{reference}").status_code == 200
        home = dpo.get("/staff/").text
        assert "overdue" in home.lower()
