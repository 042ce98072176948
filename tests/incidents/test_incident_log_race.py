"""Two people logging on one incident at the same moment both get their entry, numbered in
turn: the appender locks the incident, so nobody takes a number already taken (a unique
violation, a 500, before)."""

from __future__ import annotations

import threading

import pytest
from incidents_support import REPORT
from sqlalchemy import select

from klaremont.incidents import casework, service
from klaremont.incidents.models import IncidentActionEntry
from klaremont.incidents.states import ActionKind
from klaremont.incidents.visibility import Viewer
from klaremont.testing.staff import TEST_ACTOR

ISO = Viewer("ivy", frozenset({"incidents:report", "incidents:read", "incidents:manage"}))


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_entries_written_at_once_are_numbered_in_turn(platform, client):
    if platform.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: the race cannot happen there")
    reference = client("sue").post("/api/incidents", json=REPORT).json()["reference"]
    failures: list[BaseException] = []
    inside = threading.Barrier(2)

    def write(who: str) -> None:
        try:
            with platform.unit_of_work(actor=TEST_ACTOR) as uow:
                incident = service.find(uow, ISO, reference)
                uow.session.scalar(select(IncidentActionEntry.number).limit(1))
                inside.wait(timeout=10)  # both read the log before either writes
                for n in range(5):
                    casework.log_action(uow, ISO, incident, ActionKind.INVESTIGATION, f"{who} {n}")
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("ted", "amy")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with platform.unit_of_work() as uow:
        numbers = list(
            uow.session.scalars(
                select(IncidentActionEntry.number).order_by(IncidentActionEntry.number)
            )
        )
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == 11  # the report's entry and ten more
