"""The login page's rules (captive portal, coova-chilli's UAM protocol).

A guest joins the network; the controller sends their browser to ``/wifi/login`` with its
``challenge``, ``uamip``, ``uamport``, the device's ``mac`` and the ``userurl`` they wanted.
The page checks the code (without using a device slot yet), records the acceptance of the
terms and makes a one-time ticket; the browser is then sent to the controller's
``/logon`` with the ticket as user name and the CHAP response of the ticket's password,
computed as coova-chilli does (the challenge hashed with the UAM secret first). The
controller asks the RADIUS server, which lets the device in as for a typed code.

Refusals read the same whether or not the code exists; repeated failures from one device
or address pause the page for a while.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sqlalchemy import func, or_, select

from klaremont.wifi import hours, service_ap
from klaremont.wifi.authorize import REFUSED_CODE
from klaremont.wifi.codes import (
    TICKET_PREFIX,
    code_digest,
    normalise_code,
    normalise_mac,
    ticket_password,
)
from klaremont.wifi.models import DeviceKind, GuestCode, GuestDevice, PortalTicket, WifiLogin
from klaremont.wifi.service_guest import platform_secret

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

PAGE = "login page"
TICKET_SECONDS = 120
TERMS_VERSION = "2026-12"
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
REFUSED_THROTTLED = "Too many tries from this device. Wait 15 minutes, then try again."
REFUSED_TERMS = "Please accept the terms of use to go online."
REFUSED_CONTROLLER = "This page was not opened by the wireless network. Reconnect and try again."
_CHALLENGE_HEX = 32


@dataclass(frozen=True, slots=True)
class Controller:
    """Where the controller (coova-chilli) listens, and what it told the page."""

    uamip: str
    uamport: int
    challenge: str
    mac: str
    userurl: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The page's answer: the controller's logon address, or the words of a refusal."""

    logon_url: str | None = None
    refusal: str | None = None


def controller(uamip: str, uamport: str, challenge: str, mac: str, userurl: str) -> Controller:
    """The controller's parameters, checked: an address on a private network, a port, a
    128-bit hexadecimal challenge, a MAC address; a web address to go on to (or none)."""
    try:
        address = ipaddress.ip_address(uamip)
        port = int(uamport)
    except ValueError:
        raise ValueError(REFUSED_CONTROLLER) from None
    if not (address.is_private or address.is_loopback) or not 1 <= port <= 65535:  # noqa: PLR2004
        raise ValueError(REFUSED_CONTROLLER)
    device = normalise_mac(mac)
    if device is None or len(challenge) != _CHALLENGE_HEX:
        raise ValueError(REFUSED_CONTROLLER)
    try:
        bytes.fromhex(challenge)
    except ValueError:
        raise ValueError(REFUSED_CONTROLLER) from None
    wanted = userurl if userurl.startswith(("http://", "https://")) else ""
    return Controller(str(address), port, challenge.lower(), device, wanted[:512])


def chap_response(challenge_hex: str, uam_secret: str | None, password: str) -> str:
    """coova-chilli's CHAP response: MD5 of identifier 0, the password and the challenge,
    the challenge first hashed with the UAM secret when there is one."""
    challenge = bytes.fromhex(challenge_hex)
    if uam_secret:
        challenge = hashlib.md5(challenge + uam_secret.encode()).digest()  # noqa: S324 - CHAP
    return hashlib.md5(b"\x00" + password.encode() + challenge).hexdigest()  # noqa: S324


def _throttled(uow: UnitOfWork, mac: str, client_ip: str | None, now: datetime) -> bool:
    since = now - THROTTLE_WINDOW
    who = [WifiLogin.mac == mac]
    if client_ip:
        who.append(WifiLogin.client_ip == client_ip)
    failures = uow.session.scalar(
        select(func.count())
        .select_from(WifiLogin)
        .where(
            WifiLogin.access_point == PAGE,
            WifiLogin.accepted.is_(False),
            WifiLogin.at >= since,
            or_(*who),
        )
    )
    return (failures or 0) >= THROTTLE_FAILURES


def _refuse(
    uow: UnitOfWork, ctl: Controller, client_ip: str | None, reason: str, words: str
) -> Outcome:
    uow.session.add(
        WifiLogin(
            at=uow.clock.now(),
            kind=DeviceKind.GUEST,
            accepted=False,
            reason=reason,
            mac=ctl.mac,
            access_point=PAGE,
            client_ip=client_ip,
        )
    )
    return Outcome(refusal=words)


def known_controller(uow: UnitOfWork, ctl: Controller) -> bool:
    """Whether the link names one of our registered access points."""
    return service_ap.is_registered(uow, ctl.uamip)


def _door(uow: UnitOfWork, ctl: Controller, client_ip: str | None, now: datetime) -> str | None:
    """A refusal before the code is looked at: the ticket goes to the controller the link
    names, so only to one of our registered access points (never to an address a crafted
    link put there); and not while the device or address is throttled."""
    if not known_controller(uow, ctl):
        return REFUSED_CONTROLLER
    if _throttled(uow, ctl.mac, client_ip, now):
        return REFUSED_THROTTLED
    return None


def log_in(
    uow: UnitOfWork,
    ctl: Controller,
    *,
    typed_code: str,
    terms_accepted: bool,
    client_ip: str | None,
    uam_secret: str | None,
) -> Outcome:
    """Check a code typed on the page; a ticket and the controller's logon address, or why
    not (in words that never say whether the code exists)."""
    now = uow.clock.now()
    at_the_door = _door(uow, ctl, client_ip, now)
    if at_the_door is not None:
        return Outcome(refusal=at_the_door)
    window = hours.window(uow.policy.wifi, now)
    if not window.open:
        return _refuse(uow, ctl, client_ip, window.reason, hours.closed_message(uow.policy.wifi))
    if not terms_accepted:
        return Outcome(refusal=REFUSED_TERMS)
    plain = normalise_code(typed_code)
    secret = platform_secret(uow)
    code = (
        uow.session.scalars(
            select(GuestCode).where(GuestCode.code_digest == code_digest(secret, plain))
        ).first()
        if plain
        else None
    )
    if code is None or code.revoked_at is not None or code.ends_at() <= now:
        return _refuse(uow, ctl, client_ip, "unknown_code", REFUSED_CODE)
    devices = list(
        uow.session.scalars(select(GuestDevice.mac).where(GuestDevice.code_id == code.id))
    )
    if ctl.mac not in devices and len(devices) >= code.max_devices:
        return _refuse(uow, ctl, client_ip, "device_limit", REFUSED_CODE)
    ticket = secrets.token_hex(8)
    uow.session.add(
        PortalTicket(
            ticket=ticket,
            code_id=code.id,
            mac=ctl.mac,
            client_ip=client_ip,
            terms_version=TERMS_VERSION,
            terms_accepted_at=now,
            expires_at=now + timedelta(seconds=TICKET_SECONDS),
        )
    )
    uow.session.flush()
    username = TICKET_PREFIX + ticket
    response = chap_response(ctl.challenge, uam_secret, ticket_password(secret, ticket))
    query = urlencode({"username": username, "response": response, "userurl": ctl.userurl})
    return Outcome(logon_url=f"http://{_host(ctl.uamip)}:{ctl.uamport}/logon?{query}")


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@dataclass(frozen=True, slots=True)
class Connected:
    """What the page shows a connected guest."""

    ends_at: datetime | None
    closes_at: datetime | None


def connected(uow: UnitOfWork, mac: str | None, client_ip: str | None) -> Connected:
    """When this device's code stops working and when the network closes today.

    The code's time is shown only to the browser that logged the device in through this
    page (the ticket's device and address): a MAC address typed into the page's address
    tells nobody else anything about a guest's code.
    """
    now = uow.clock.now()
    closes = hours.window(uow.policy.wifi, now).closes_at
    device = normalise_mac(mac or "")
    if device is None or not client_ip:
        return Connected(None, closes)
    code = uow.session.scalars(
        select(GuestCode)
        .join(PortalTicket, PortalTicket.code_id == GuestCode.id)
        .where(
            PortalTicket.mac == device,
            PortalTicket.client_ip == client_ip,
            PortalTicket.used_at.is_not(None),
            GuestCode.revoked_at.is_(None),
        )
        .order_by(PortalTicket.used_at.desc())
    ).first()
    if code is None or code.ends_at() <= now:
        return Connected(None, closes)
    return Connected(code.ends_at(), closes)
