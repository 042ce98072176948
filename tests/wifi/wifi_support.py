"""Helpers of the wireless tests: a RADIUS server on loopback and ``radclient`` to ask it."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Self
from zoneinfo import ZoneInfo

from klaremont.platform import Platform
from klaremont.wifi import service_ap, service_guest
from klaremont.wifi.server import RadiusServer
from klaremont.wifi.settings import WifiSettings

UK = ZoneInfo("Europe/London")
SECRET = "loopback-test-shared-secret-1"
RADCLIENT = shutil.which("radclient") or "/usr/bin/radclient"


def uk(*parts: int) -> datetime:
    """An aware instant from UK wall-clock parts."""
    return datetime(*parts, tzinfo=UK)  # type: ignore[misc]


@dataclass
class Running:
    """A server thread and its ports."""

    server: RadiusServer
    auth_port: int
    acct_port: int


@contextmanager
def radius_server(platform: Platform, settings: WifiSettings | None = None) -> Iterator[Running]:
    """A RADIUS server in a thread on free loopback ports."""
    server = RadiusServer(platform, settings or WifiSettings())
    auth, acct = server.bind("127.0.0.1", 0)
    stop = threading.Event()
    thread = threading.Thread(target=server.serve, args=(stop,), daemon=True)
    thread.start()
    try:
        yield Running(server, auth, acct)
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def add_loopback_ap(platform: Platform, secret: str = SECRET) -> None:
    """Register the loopback range as an access point."""
    with platform.unit_of_work() as uow:
        service_ap.add(uow, name="shop-floor", network="127.0.0.0/8", secret=secret, by="test")


def issue(platform: Platform, **kwargs: object) -> str:
    """One fresh guest code."""
    with platform.unit_of_work() as uow:
        return service_guest.issue(uow, by="test", **kwargs)[0].code  # type: ignore[arg-type]


@dataclass
class Answer:
    """What radclient printed: the reply code and attributes."""

    code: str | None
    attributes: dict[str, str]
    output: str


def radclient(
    port: int,
    attributes: dict[str, str],
    *,
    kind: str = "auth",
    secret: str = SECRET,
    timeout: float = 1.0,
    message_authenticator: bool = True,
) -> Answer:
    """Send one request with the real ``radclient`` and parse its answer.

    radclient signs an Access-Request with a Message-Authenticator when the request names
    one (``Message-Authenticator = 0x00``); ``message_authenticator=False`` leaves it out.
    """
    line = ",".join(f'{k}="{v}"' for k, v in attributes.items())
    if message_authenticator and kind == "auth":
        line += ",Message-Authenticator=0x00"
    result = subprocess.run(  # noqa: S603 - a fixed binary with our own arguments
        [RADCLIENT, "-x", "-r", "1", "-t", str(timeout), f"127.0.0.1:{port}", kind, secret],
        input=line,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    output = result.stdout + result.stderr
    code = None
    found: dict[str, str] = {}
    for raw in output.splitlines():
        text = raw.strip()
        if text.startswith("Received "):
            code = text.split()[1]
        elif code is not None and " = " in text:
            name, _, value = text.partition(" = ")
            found[name.strip()] = value.strip().strip('"')
    return Answer(code, found, output)


def serve_in_child(settings: object, at: datetime, ports: object, stop: object) -> None:
    """A child process's RADIUS server on the test's databases, its clock fixed at ``at``."""
    from klaremont.clock import ManualClock  # noqa: PLC0415 - runs in the child

    platform = Platform.build(settings, clock=ManualClock(at))  # type: ignore[arg-type]
    server = RadiusServer(platform, WifiSettings())
    auth, _ = server.bind("127.0.0.1", 0)
    server.reload_clients()
    ports.put(auth)  # type: ignore[attr-defined]
    try:
        server.serve(stop)  # type: ignore[arg-type]
    finally:
        server.close()
        platform.dispose()


class FakeNas:
    """An access point's Disconnect port on loopback: answers ACK (or NAK), keeps what came."""

    def __init__(self, secret: str = SECRET, *, answer: str = "ack") -> None:
        import socket  # noqa: PLC0415 - only the NAS tests need it

        from pyrad import packet as rp  # noqa: PLC0415

        from klaremont.wifi.radius import dictionary  # noqa: PLC0415

        self._rp = rp
        self._dictionary = dictionary()
        self.secret = secret.encode()
        self.answer = answer
        self.received: list[dict[str, str]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        rp = self._rp
        while not self._stop.is_set():
            try:
                data, address = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            request = rp.CoAPacket(packet=data, secret=self.secret, dict=self._dictionary)
            if not request.VerifyCoARequest() or not request.verify_message_authenticator():
                continue
            self.received.append(
                {key: str(request[key][0]) for key in request.keys() if isinstance(key, str)}  # noqa: SIM118 - the packet's names
            )
            reply = request.CreateReply()
            if self.answer == "nak":
                reply.code = rp.DisconnectNAK
            self.sock.sendto(reply.ReplyPacket(), address)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
