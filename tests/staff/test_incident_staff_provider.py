"""The staff capability tells the incident team who works here (SP-IRT-MEMBERS)."""

from __future__ import annotations

from datetime import date

import pytest

from klaremont.demo.service import DemoSize, seed
from klaremont.incidents.ports import PluggedDirectory
from klaremont.incidents.team import Seat, propose
from klaremont.staff import service_accounts, service_lifecycle
from klaremont.staff.permissions import Role
from klaremont.testing.staff import TEST_ACTOR


def _picks(platform) -> dict[Seat, str | None]:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        directory = PluggedDirectory(uow)
        assert directory.plugged
        proposal = propose(directory.active())
    return {seat: p.username if p else None for seat, p in proposal.picks.items()}


@pytest.mark.policy("SP-IRT-MEMBERS", "SP-IRT")
def test_the_demo_staff_fill_every_seat_by_post(platform):
    """Titles pick the post holders: the ISO, the Senior Engineer, the Development Manager,
    a director and the Account Manager."""
    seed(platform, DemoSize(customers=3))
    assert _picks(platform) == {
        Seat.ISO: "ivan",
        Seat.SENIOR_ENGINEER: "erin",
        Seat.DEVELOPMENT_MANAGER: "devon",
        Seat.DIRECTOR: "derek",
        Seat.ACCOUNT_MANAGER: "alex",
    }


@pytest.mark.policy("SP-IRT-MEMBERS", "IS-AC-LEAVER")
def test_a_leaver_a_maintenance_account_and_the_most_senior_stand_in(platform):
    """A leaver leaves their seat; the most senior engineer stands in for the Senior Engineer;
    maintenance accounts never sit on the team."""
    seed(platform, DemoSize(customers=3))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        erin = service_accounts.account_by_username(uow, "erin")
        service_lifecycle.offboard(uow, erin.id, by="test")
        for username, grade in (("junior", 2), ("lead", 6)):
            created = service_accounts.create_account(
                uow,
                service_accounts.NewAccount(
                    username=username,
                    full_name=f"{username.title()} Engineer",
                    work_email=f"{username}@klaremont.example",
                    job_role=Role.ENGINEER,
                    vetted_on=date(2025, 1, 6),
                    job_title="Engineer",
                    seniority=grade,
                ),
                created_by="test",
            )
            assert created.account.seniority == grade
        service_lifecycle.create_maintenance_account(
            uow,
            username="vendor",
            full_name="Vendor Engineer",
            work_email="vendor@example.com",
            hours=4,
            sponsor_id=service_accounts.account_by_username(uow, "tara").id,
            created_by="test",
        )
    picks = _picks(platform)
    assert picks[Seat.SENIOR_ENGINEER] in {"lead", "devon"}  # the most senior engineers
    assert "erin" not in picks.values()
    assert "vendor" not in picks.values()
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        people = {p.username: p for p in PluggedDirectory(uow).active()}
    assert "erin" not in people
    assert "vendor" not in people
    assert people["lead"].seniority == 6
