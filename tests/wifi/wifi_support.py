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
RADCLIENT_MISSING = "radclient is not installed (apt-get install freeradius-utils; .ci/run does)"


def have_radclient() -> bool:
    """Whether the real RADIUS client the tests drive is here."""
    return shutil.which(RADCLIENT) is not None


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
    timeout: float = 5.0,
    message_authenticator: bool = True,
) -> Answer:
    """Send one request with the real ``radclient`` and parse its answer.

    It waits up to ``timeout`` seconds, once: an answer during the whole suite's run, on a
    loaded machine, took more than a second (the login then read as "no answer"); the
    tests that expect no answer pass a short one.

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


class FakeController:
    """A captive-portal controller playing coova-chilli on loopback: ``/logon`` turns the
    login page's ticket and CHAP response into an Access-Request to the RADIUS server,
    then sends the browser back to the login page with ``res=success`` or ``res=failed``."""

    def __init__(self, portal: str, radius_port: int, *, uam_secret: str | None = None) -> None:
        import hashlib  # noqa: PLC0415
        import secrets  # noqa: PLC0415
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: PLC0415
        from urllib.parse import parse_qs, urlencode, urlparse  # noqa: PLC0415

        self.challenge = secrets.token_hex(16)
        self.mac = "02-1A-2B-3C-4D-5E"
        self.portal = portal
        self.answers: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                challenge = bytes.fromhex(outer.challenge)
                if uam_secret:
                    challenge = hashlib.md5(challenge + uam_secret.encode()).digest()  # noqa: S324
                answer = outer.ask(query.get("username", ""), query.get("response", ""), challenge)
                outer.answers.append(answer)
                res = "success" if answer == "Access-Accept" else "failed"
                back = urlencode(
                    {
                        "res": res,
                        "uamip": "127.0.0.1",
                        "uamport": str(outer.port),
                        "challenge": outer.challenge,
                        "mac": outer.mac,
                        "userurl": query.get("userurl", ""),
                    }
                )
                self.send_response(302)
                self.send_header("Location", f"{outer.portal}/wifi/login?{back}")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self.radius_port = radius_port
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def ask(self, username: str, response_hex: str, challenge: bytes) -> str:
        """Send the CHAP Access-Request coova-chilli sends; the reply's name."""
        import socket  # noqa: PLC0415

        from pyrad import packet as rp  # noqa: PLC0415

        from klaremont.wifi.radius import dictionary  # noqa: PLC0415

        request = rp.AuthPacket(secret=SECRET.encode(), dict=dictionary())
        request["User-Name"] = username
        request["CHAP-Password"] = b"\x00" + bytes.fromhex(response_hex or "00" * 16)
        request["CHAP-Challenge"] = challenge
        request["Calling-Station-Id"] = self.mac
        request.add_message_authenticator()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(3)
            sock.sendto(request.RequestPacket(), ("127.0.0.1", self.radius_port))
            raw = sock.recv(4096)
        code = raw[0]
        return {rp.AccessAccept: "Access-Accept", rp.AccessReject: "Access-Reject"}.get(code, "?")

    def first_url(self, userurl: str = "http://example.org/") -> str:
        """Where the controller first sends a new guest's browser."""
        from urllib.parse import urlencode  # noqa: PLC0415

        query = urlencode(
            {
                "res": "notyet",
                "uamip": "127.0.0.1",
                "uamport": str(self.port),
                "challenge": self.challenge,
                "mac": self.mac,
                "userurl": userurl,
            }
        )
        return f"{self.portal}/wifi/login?{query}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
