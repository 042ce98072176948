"""Disconnect-Requests (RFC 5176): end a live session at its access point, record the answer.

A request goes to the address accounting heard the session from, at the access point's
Disconnect port (``KLAREMONT_WIFI_COA_PORT``), signed with that access point's shared
secret and a Message-Authenticator. The answer (``ack``, ``nak`` or ``no answer``) is kept on
the session row.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import structlog
from pyrad import packet as rp
from sqlalchemy import select

from klaremont.wifi import service_ap
from klaremont.wifi.models import WifiSession
from klaremont.wifi.radius import dictionary
from klaremont.wifi.settings import WifiSettings

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

log = structlog.get_logger("klaremont.wifi.disconnect")
WAIT_SECONDS = 1.0
TRIES = 2


def send(address: str, port: int, secret: bytes, session: WifiSession) -> str:
    """Send one Disconnect-Request; ``ack``, ``nak`` or ``no answer``."""
    request = rp.CoAPacket(code=rp.DisconnectRequest, secret=secret, dict=dictionary())
    request["Acct-Session-Id"] = session.acct_session_id
    if session.user_name:
        request["User-Name"] = session.user_name
    if session.mac:
        request["Calling-Station-Id"] = session.mac.replace(":", "-").upper()
    request.add_message_authenticator()
    data = request.RequestPacket()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(WAIT_SECONDS)
        for _ in range(TRIES):
            sock.sendto(data, (address, port))
            try:
                raw = sock.recv(4096)
            except TimeoutError:
                continue
            try:
                reply = request.CreateReply(packet=raw)
            except rp.PacketError:
                continue
            if not request.VerifyReply(reply, raw):
                continue
            return "ack" if reply.code == rp.DisconnectACK else "nak"
    return "no answer"


def disconnect_sessions(uow: UnitOfWork, sessions: list[WifiSession]) -> dict[str, int]:
    """Send a Disconnect for each session and record the answers; counts by answer."""
    if not sessions:
        return {}
    port = WifiSettings().coa_port
    clients = {c.name: c for c in service_ap.clients(uow)}
    counts: dict[str, int] = {}
    now = uow.clock.now()
    for session in sessions:
        client = clients.get(session.access_point)
        if client is None or not session.nas_address:
            answer = "no access point"
        else:
            answer = send(session.nas_address, port, client.secret, session)
        session.disconnect_sent_at = now
        session.disconnect_answer = answer
        counts[answer] = counts.get(answer, 0) + 1
        log.info("wifi.disconnect", access_point=session.access_point, answer=answer)
    uow.session.flush()
    return counts


def disconnect_macs(uow: UnitOfWork, macs: list[str]) -> dict[str, int]:
    """Disconnect every open session of these devices."""
    if not macs:
        return {}
    sessions = list(
        uow.session.scalars(
            select(WifiSession).where(WifiSession.mac.in_(macs), WifiSession.stopped_at.is_(None))
        )
    )
    return disconnect_sessions(uow, sessions)
