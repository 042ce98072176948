"""The daily scan of Klaremont's own data: card data planted in the var directory raises a
card-data incident naming the scan, where (masked) and the procedure (PCI DSS 12.10.7); a
later scan notes it on the open incident; a clean platform raises nothing."""

from __future__ import annotations

import pytest
from scanweb_support import CARD, CARD_SPACED, plant
from sqlalchemy import select

from klaremont import capabilities
from klaremont.incidents.card_data_found import PROCEDURE, WHAT_MAX, on_card_data_found
from klaremont.incidents.models import Incident, IncidentActionEntry
from klaremont.incidents.states import IncidentKind, Involvement
from klaremont.scan import jobs, service
from klaremont.scan.announcements import CardDataFound
from klaremont.scan.selfscan import SELF_LABEL


def _incidents(platform) -> list[Incident]:
    with platform.unit_of_work() as uow:
        return list(uow.session.scalars(select(Incident).order_by(Incident.reference)))


def test_the_job_is_declared_daily():
    declared = {job.name: job for _, job in capabilities.jobs()}
    job = declared["scan-self"]
    assert job.every.days == 1
    assert capabilities.resolve(job.target) is jobs.run_self


@pytest.mark.policy("IS-SENS-TRACK", "IS-SENS-CVV")
def test_a_clean_platform_raises_nothing(platform):
    summary = jobs.run_self(platform)
    assert "no card data at rest" in summary
    assert _incidents(platform) == []
    with platform.unit_of_work() as uow:
        run = service.latest_self(uow)
        assert run is not None
        assert run.own_data
        assert run.label == SELF_LABEL
        assert run.actor_name == "Daily scan (scheduled job)"
        assert not run.incident_raised


@pytest.mark.policy("IS-SENS-SAFE", "SP-REPORT")
def test_card_data_in_the_var_directory_raises_an_incident(platform):
    planted = plant(platform)
    summary = jobs.run_self(platform)
    assert "1 item(s) of card data at rest" in summary
    assert "raised INC-" in summary
    [incident] = _incidents(platform)
    assert incident.kind is IncidentKind.CARD_DATA_EXPOSED
    assert incident.card_data is Involvement.YES
    with platform.unit_of_work() as uow:
        run = service.latest_self(uow)
        assert run is not None
        assert run.incident == f"raised {incident.reference}"
    what = incident.summary
    assert run.reference in what
    assert str(planted) in what
    assert f"{CARD[-4:]}" in what
    assert CARD not in what
    assert CARD_SPACED not in what
    for step in ("contain", "how the card data got there", "card vault", "scan the place again"):
        assert step in what
    # the next day's scan finds it again: one incident, a line in its log
    again = jobs.run_self(platform)
    assert f"noted on {incident.reference}" in again
    assert len(_incidents(platform)) == 1
    with platform.unit_of_work() as uow:
        lines = list(
            uow.session.scalars(
                select(IncidentActionEntry.text).where(
                    IncidentActionEntry.incident_id == incident.id
                )
            )
        )
    assert any("found card data there again" in line for line in lines)


def test_a_long_list_of_places_is_cut_to_what_an_incident_holds(platform):
    long_place = "/srv/exports/" + "nested/" * 40 + "orders.csv"
    event = CardDataFound(
        reference="SC-2026-0001",
        label="the order exports",
        card_numbers=20,
        track_data=0,
        card_codes=0,
        findings=tuple(f"Card number at {long_place}: line {n} (•••• 0366)" for n in range(20)),
    )
    with platform.unit_of_work() as uow:
        said = on_card_data_found(uow, event)
    assert said.startswith("raised INC-")
    [incident] = _incidents(platform)
    assert len(incident.summary) <= WHAT_MAX
    assert incident.summary.endswith(PROCEDURE)
    assert "more in the scan's report" in incident.summary
    assert "20 card number(s)" in incident.summary
