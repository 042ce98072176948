"""Wireless fixtures: an access point on loopback and a RADIUS server in a thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from wifi_support import (
    RADCLIENT_MISSING,
    Running,
    add_loopback_ap,
    have_radclient,
    radius_server,
)

from klaremont.platform import Platform


@pytest.fixture
def radius(platform: Platform) -> Iterator[Running]:
    """The loopback range registered as an access point, and a server answering it."""
    if not have_radclient():
        pytest.skip(RADCLIENT_MISSING)
    add_loopback_ap(platform)
    with radius_server(platform) as running:
        yield running
