"""Office or remote: a request from outside ``settings.office_networks`` is remote (IS-RA-2FA).

An origin that is missing or not an IP address counts as remote: when in doubt, the
stronger rule applies.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def is_remote(origin: str | None, office_networks: Iterable[str]) -> bool:
    """True unless ``origin`` is an IP address inside one of ``office_networks``."""
    if not origin:
        return True
    try:
        address = ipaddress.ip_address(origin.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not any(address in net for net in _networks(tuple(office_networks)))
