"""The embedded database's write gate: the oldest request goes first, a wait ends."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest
from sqlalchemy import exc

from klaremont.db.engine import ARRIVED, WriteGate


def _queue_up(gate: WriteGate, arrivals: list[float], order: list[float]) -> list[threading.Thread]:
    """Start one thread per arrival time, each entering the gate, in the order given."""
    threads = []
    for arrived in arrivals:

        def run(arrived: float = arrived) -> None:
            ARRIVED.set(arrived)
            connection = object()
            gate.enter(connection)
            order.append(arrived)
            gate.leave(connection)

        thread = threading.Thread(target=contextvars.copy_context().run, args=(run,))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)  # the thread is queued before the next one comes
    return threads


def test_the_oldest_request_goes_first_not_the_first_to_ask() -> None:
    gate = WriteGate()
    holder = object()
    gate.enter(holder)
    order: list[float] = []
    # A request that arrived at t=1 asks last (it was hashing a password meanwhile).
    threads = _queue_up(gate, [3.0, 2.0, 1.0], order)
    assert order == []  # nobody passes while the gate is held
    gate.leave(holder)
    for thread in threads:
        thread.join(5)
    assert order == [1.0, 2.0, 3.0]


def test_leaving_without_holding_changes_nothing() -> None:
    gate = WriteGate(timeout=0.2)
    holder = object()
    gate.enter(holder)
    gate.leave(object())  # a connection that does not hold the gate
    with pytest.raises(exc.OperationalError, match="database is locked"):
        gate.enter(object())
    gate.leave(holder)
    gate.enter(object())  # free again


def test_a_waiter_that_gave_up_is_skipped() -> None:
    gate = WriteGate(timeout=0.2)
    holder = object()
    gate.enter(holder)
    failures: list[Exception] = []

    def impatient() -> None:
        try:
            gate.enter(object())
        except exc.OperationalError as error:
            failures.append(error)

    thread = threading.Thread(target=impatient)
    thread.start()
    thread.join(5)
    assert len(failures) == 1
    order: list[float] = []
    threads = _queue_up(gate, [5.0], order)
    gate.leave(holder)  # hands over to the waiter still there, not the one that left
    for waiting in threads:
        waiting.join(5)
    assert order == [5.0]
    later = object()
    gate.enter(later)  # and the gate is free once that one left
    gate.leave(later)
