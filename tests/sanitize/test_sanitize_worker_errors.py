"""A worker process's error always reaches the parent (an error that cannot be rebuilt from
its pickle would leave the parent's pool waiting for ever)."""

from __future__ import annotations

import pickle
import uuid
from datetime import UTC, datetime

import pytest

from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.sanitize import parallel

SUBJECT = uuid.UUID("c0ffee00-1234-4abc-8def-00000000beef")
WHEN = datetime(2026, 3, 2, tzinfo=UTC)


class _Unbuildable(Exception):
    """An error whose constructor wants more than its message: pickle cannot rebuild it."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} and {second}")


def test_a_destroyed_key_error_survives_pickling_with_its_subject_and_date() -> None:
    again = pickle.loads(pickle.dumps(SubjectKeyDestroyed(SUBJECT, WHEN)))  # noqa: S301 - our own bytes
    assert isinstance(again, SubjectKeyDestroyed)
    assert (again.subject_id, again.destroyed_at, again.status) == (SUBJECT, WHEN, 410)
    assert "crypto-shredded on 2026-03-02" in str(again)


@pytest.mark.policy("IS-SENS-DEV")
def test_an_error_pickle_cannot_rebuild_reaches_the_parent_as_a_plain_one() -> None:
    @parallel._passable
    def job() -> None:
        raise _Unbuildable("one", "two")

    with pytest.raises(parallel.WorkerFailed) as caught:
        job()
    assert str(caught.value) == "_Unbuildable: one and two"
    again = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own bytes
    assert str(again) == "_Unbuildable: one and two"


def test_an_error_that_pickles_reaches_the_parent_as_it_was() -> None:
    @parallel._passable
    def job() -> None:
        raise SubjectKeyDestroyed(SUBJECT, WHEN)

    with pytest.raises(SubjectKeyDestroyed):
        job()

    @parallel._passable
    def fine(value: int) -> int:
        return value + 1

    assert fine(41) == 42
