"""Access points (RADIUS clients): each with its address range and its own shared secret.

The shared secret is sealed under the access point's data key and opened only by the
RADIUS server when it loads its client table. A request from an address no access point
covers is ignored (no answer), as RFC 2865 asks.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.wifi.actions import WifiAction
from klaremont.wifi.models import AccessPoint

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

SECRET_MIN = 16  # BlastRADIUS advice: long random shared secrets
SECRET_MAX = 128
NAME_MAX = 64


@dataclass(frozen=True, slots=True)
class Client:
    """What the RADIUS server needs of one access point."""

    name: str
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    secret: bytes


@dataclass(frozen=True, slots=True)
class AccessPointRow:
    """An access point as lists show it (never the secret)."""

    name: str
    network: str


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValidationFailed.single(
            "network", "must be an IP address or range such as 10.20.30.0/24"
        ) from None


def add(uow: UnitOfWork, *, name: str, network: str, secret: str, by: str) -> AccessPointRow:
    """Register an access point with its address range and shared secret."""
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX or not name.isprintable():
        raise ValidationFailed.single("name", f"must be 1 to {NAME_MAX} printable characters")
    net = _network(network)
    if not SECRET_MIN <= len(secret) <= SECRET_MAX or not secret.isprintable():
        raise ValidationFailed.single(
            "secret", f"must be {SECRET_MIN} to {SECRET_MAX} printable characters"
        )
    if uow.session.scalars(
        select(AccessPoint.id).where(AccessPoint.name == name, AccessPoint.removed_at.is_(None))
    ).first():
        raise Conflict("An access point of that name is already registered.")
    subject = uuid.uuid4()
    uow.crypto.prepare(subject)
    point = AccessPoint(
        name=name,
        network=str(net),
        subject_id=subject,
        created_at=uow.clock.now(),
        created_by=by,
    )
    point.secret = secret
    uow.session.add(point)
    uow.session.flush()
    uow.audit(
        WifiAction.ACCESS_POINT_ADDED,
        resource=f"wifi-ap:{name}",
        details={"by": by, "network": str(net)},
    )
    return AccessPointRow(name, str(net))


def remove(uow: UnitOfWork, *, name: str, by: str) -> None:
    """Stop answering an access point (its row stays, its secret is no longer opened)."""
    point = uow.session.scalars(
        select(AccessPoint).where(AccessPoint.name == name, AccessPoint.removed_at.is_(None))
    ).first()
    if point is None:
        raise NotFound("No access point has that name.")
    point.removed_at = uow.clock.now()
    uow.session.flush()
    uow.audit(WifiAction.ACCESS_POINT_REMOVED, resource=f"wifi-ap:{name}", details={"by": by})


def listed(uow: UnitOfWork) -> list[AccessPointRow]:
    """Every registered access point."""
    return [
        AccessPointRow(p.name, p.network)
        for p in uow.session.scalars(
            select(AccessPoint).where(AccessPoint.removed_at.is_(None)).order_by(AccessPoint.name)
        )
    ]


def clients(uow: UnitOfWork) -> list[Client]:
    """The RADIUS client table: every access point with its secret opened."""
    found: list[Client] = []
    for point in uow.session.scalars(
        select(AccessPoint).where(AccessPoint.removed_at.is_(None)).order_by(AccessPoint.name)
    ):
        secret = point.secret
        if secret is None:  # pragma: no cover - the service always sets one
            continue
        found.append(Client(point.name, _network(point.network), secret.encode()))
    return found


def is_registered(uow: UnitOfWork, address: str) -> bool:
    """Whether ``address`` lies in a registered access point's range (secrets stay sealed)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in uow.session.scalars(
        select(AccessPoint.network).where(AccessPoint.removed_at.is_(None))
    ):
        net = _network(network)
        if ip.version == net.version and ip in net:
            return True
    return False


def client_for(table: list[Client], address: str) -> Client | None:
    """The access point whose range holds ``address`` (the narrowest one)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    matches = [c for c in table if ip.version == c.network.version and ip in c.network]
    return max(matches, key=lambda c: c.network.prefixlen, default=None)
