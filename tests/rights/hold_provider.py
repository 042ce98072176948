"""A throwaway ``subject_hold`` provider for the rights tests: holds whoever is in HELD."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from klaremont import capabilities
from klaremont.capabilities import Capability
from klaremont.holds import Hold

NAME = "rights_test_holds"
HELD: set[uuid.UUID] = set()


def holds_on(uow: object, subject_ids: frozenset[uuid.UUID]) -> list[Hold]:
    """The provider: a hold on each held person asked about."""
    del uow
    return [
        Hold(s, "case LIT-7", "a claim in court", datetime(2026, 1, 1, tzinfo=UTC))
        for s in sorted(subject_ids & HELD, key=str)
    ]


@contextmanager
def holding(*subjects: uuid.UUID) -> Iterator[set[uuid.UUID]]:
    """Plug the provider in, holding ``subjects``, for the block."""
    HELD.clear()
    HELD.update(subjects)
    capabilities.register(
        Capability(
            name=NAME,
            summary="test holds",
            package="hold_provider",
            extensions=(("subject_hold", "hold_provider:holds_on"),),
        )
    )
    try:
        yield HELD
    finally:
        capabilities.unregister(NAME)
        HELD.clear()
