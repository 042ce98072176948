"""``klaremont radius serve``: the UDP loop answering the access points.

One thread reads the authentication and accounting sockets; each request is one unit of
work (the login and its record commit together). Several server processes may run against
one PostgreSQL database: a guest code's row is locked while its devices are counted, and
the device slots are unique, so the last slot goes to exactly one device.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import structlog
from pyrad import packet as rp

from klaremont.wifi import accounting, authorize, service_ap
from klaremont.wifi.fastpath import FastPath
from klaremont.wifi.models import DeviceKind
from klaremont.wifi.radius import (
    Dropped,
    DuplicateCache,
    chap_ticket,
    decode_access_request,
    decode_accounting_request,
    number,
    password,
    text,
)
from klaremont.wifi.settings import WifiSettings

if TYPE_CHECKING:
    from klaremont.platform import Platform

log = structlog.get_logger("klaremont.wifi.radius")
CLIENT_REFRESH_SECONDS = 30.0
UNKNOWN_REFRESH_SECONDS = 5.0
MAX_PACKET = 4096
IDLE_WAIT = 0.05  # the loop wakes this often to commit gathered login records
TUNNEL_VLAN = 13
TUNNEL_MEDIUM_802 = 6
_TERMINATE = {
    1: "User-Request",
    2: "Lost-Carrier",
    4: "Idle-Timeout",
    5: "Session-Timeout",
    6: "Admin-Reset",
    10: "NAS-Request",
}


@dataclass
class Counters:
    """What the server did, for its log line at exit and the tests."""

    accepted: int = 0
    rejected: int = 0
    dropped: int = 0
    duplicates: int = 0
    accounted: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        """Count one dropped request."""
        self.dropped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


class RadiusServer:
    """Answers Access-Requests and Accounting-Requests for the registered access points."""

    def __init__(self, platform: Platform, settings: WifiSettings | None = None) -> None:
        self.platform = platform
        self.settings = settings or WifiSettings()
        self.cache = DuplicateCache()
        self.counters = Counters()
        self._clients: list[service_ap.Client] = []
        self._loaded_at = float("-inf")
        self._sockets: list[tuple[socket.socket, str]] = []
        self._code_secret = platform.settings.secret_key.get_secret_value()
        self.fast = FastPath(platform, self._code_secret)

    # ------------------------------------------------------------------ sockets
    def bind(self, host: str | None = None, port: int | None = None) -> tuple[int, int]:
        """Open the authentication and accounting sockets; returns their ports.

        ``port`` 0 picks a free authentication port (tests); accounting is then free too.
        """
        host = host or self.settings.radius_host
        port = self.settings.radius_port if port is None else port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        auth = socket.socket(family, socket.SOCK_DGRAM)
        auth.bind((host, port))
        acct = socket.socket(family, socket.SOCK_DGRAM)
        acct.bind((host, port + 1 if port else 0))
        self._sockets = [(auth, "auth"), (acct, "acct")]
        return auth.getsockname()[1], acct.getsockname()[1]

    def serve(self, stop: threading.Event | None = None) -> None:
        """Answer requests until ``stop`` is set (or forever)."""
        stop = stop or threading.Event()
        selector = selectors.DefaultSelector()
        for sock, kind in self._sockets:
            selector.register(sock, selectors.EVENT_READ, kind)
        try:
            while not stop.is_set():
                ready = selector.select(timeout=IDLE_WAIT)
                for key, _ in ready:
                    sock = cast("socket.socket", key.fileobj)
                    data, address = sock.recvfrom(MAX_PACKET)
                    try:
                        reply = self.handle(data, address, key.data)
                    except Exception:  # one bad request must not stop the server
                        self.counters.drop("internal error")
                        log.exception("radius.failed", source=str(address[0]))
                        continue
                    if reply is not None:
                        sock.sendto(reply, address)
                writer = self.fast.writer
                if writer.rows and writer.due(idle=not ready or not selector.select(timeout=0)):
                    writer.commit()
        finally:
            selector.close()

    def close(self) -> None:
        """Commit the queued login records and close the sockets."""
        self.fast.close()
        for sock, _ in self._sockets:
            sock.close()
        self._sockets = []

    # ------------------------------------------------------------------ clients
    def reload_clients(self) -> None:
        """Read the access points (and open their secrets) again."""
        with self.platform.unit_of_work(origin="radius") as uow:
            self._clients = service_ap.clients(uow)
        self._loaded_at = time.monotonic()

    def _client(self, ip: str) -> service_ap.Client | None:
        age = time.monotonic() - self._loaded_at
        if age > CLIENT_REFRESH_SECONDS:
            self.reload_clients()
        found = service_ap.client_for(self._clients, ip)
        if found is None and age > UNKNOWN_REFRESH_SECONDS:
            self.reload_clients()
            found = service_ap.client_for(self._clients, ip)
        return found

    # ------------------------------------------------------------------ requests
    def handle(self, data: bytes, address: tuple[Any, ...], kind: str) -> bytes | None:
        """The reply to one datagram, or ``None`` when it gets none."""
        source = (str(address[0]), int(address[1]))
        client = self._client(source[0])
        if client is None:
            self.counters.drop("unknown client")
            log.info("radius.dropped", reason="unknown client", source=source[0])
            return None
        key = DuplicateCache.key(source, data)
        cached = self.cache.get(key)
        if cached is not None:
            self.counters.duplicates += 1
            return cached
        try:
            if kind == "auth":
                reply = self._access(data, client)
            else:
                reply = self._accounting(data, client, source[0])
        except Dropped as drop:
            self.counters.drop(drop.reason)
            log.info("radius.dropped", reason=drop.reason, access_point=client.name)
            return None
        self.cache.put(key, reply)
        return reply

    def _access(self, data: bytes, client: service_ap.Client) -> bytes:
        request = decode_access_request(data, client.secret)
        attempt = authorize.Attempt(
            access_point=client.name,
            user_name=text(request, "User-Name"),
            password=password(request),
            calling_station=text(request, "Calling-Station-Id"),
        )
        chap = chap_ticket(request, attempt.user_name, self._code_secret)
        decision = None
        if chap is None and not authorize.is_mac_login(attempt):
            decision = self.fast.guest(attempt)
        if decision is None:
            decision = self._full(attempt, client, chap)
        return self._reply(request, decision)

    def _full(
        self, attempt: authorize.Attempt, client: service_ap.Client, chap: str | None
    ) -> authorize.Decision:
        with self.platform.unit_of_work(origin=f"radius:{client.name}") as uow:
            if chap is not None:
                decision = authorize.decide_ticket(uow, attempt, chap)
            else:
                decision = authorize.decide(uow, attempt, self._code_secret)
        return decision

    def _reply(self, request: Any, decision: authorize.Decision) -> bytes:
        reply = request.CreateReply()
        if decision.accept:
            self.counters.accepted += 1
            reply.code = rp.AccessAccept
            reply["Session-Timeout"] = decision.session_timeout or 1
            vlan = (
                self.settings.guest_vlan
                if decision.kind is DeviceKind.GUEST
                else self.settings.staff_vlan
            )
            reply.AddAttribute("Tunnel-Type", TUNNEL_VLAN)
            reply.AddAttribute("Tunnel-Medium-Type", TUNNEL_MEDIUM_802)
            reply.AddAttribute("Tunnel-Private-Group-Id", vlan)
        else:
            self.counters.rejected += 1
            self.counters.reasons[decision.reason] = (
                self.counters.reasons.get(decision.reason, 0) + 1
            )
            reply.code = rp.AccessReject
            if decision.message:
                reply["Reply-Message"] = decision.message
        encoded: bytes = reply.ReplyPacket()
        return encoded

    def _accounting(self, data: bytes, client: service_ap.Client, source: str) -> bytes:
        request = decode_accounting_request(data, client.secret)
        report = accounting.Report(
            access_point=client.name,
            status=number(request, "Acct-Status-Type"),
            session_id=text(request, "Acct-Session-Id"),
            user_name=text(request, "User-Name"),
            calling_station=text(request, "Calling-Station-Id"),
            framed_ip=text(request, "Framed-IP-Address"),
            input_octets=number(request, "Acct-Input-Octets")
            + number(request, "Acct-Input-Gigawords") * accounting.GIGAWORD,
            output_octets=number(request, "Acct-Output-Octets")
            + number(request, "Acct-Output-Gigawords") * accounting.GIGAWORD,
            terminate_cause=_TERMINATE.get(number(request, "Acct-Terminate-Cause")),
            nas_address=source,
        )
        with self.platform.unit_of_work(origin=f"radius:{client.name}") as uow:
            accounting.record(uow, report)
        self.counters.accounted += 1
        reply = request.CreateReply()
        encoded: bytes = reply.ReplyPacket()
        return encoded
