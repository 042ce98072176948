"""A minimal SNTP client (RFC 4330) to measure how far a clock is from a time server.

One request, one answer, the standard offset formula: no dependency, no daemon, a short
timeout. Used by the IS-AC-CLOCK live check; it measures, it never sets the clock.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

NTP_PORT = 123
NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
PACKET_SIZE = 48
_CLIENT_MODE_V4 = 0x23  # leap indicator 0, version 4, mode 3 (client)
_SERVER_MODE = 4
_MAX_STRATUM = 15
_LEAP_ALARM = 3  # leap indicator 3: the server clock is not synchronised


class SntpError(Exception):
    """The time server did not answer, or answered with something unusable."""


def split_server(server: str) -> tuple[str, int]:
    """``"host"``, ``"host:port"`` or ``"[v6]:port"`` to (host, port)."""
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        port = rest.removeprefix(":")
    elif server.count(":") == 1:
        host, _, port = server.partition(":")
    else:
        host, port = server, ""
    if not host:
        raise SntpError(f"{server!r}: no host")
    try:
        return host, int(port) if port else NTP_PORT
    except ValueError:
        raise SntpError(f"{server!r}: port must be a number") from None


def to_ntp(seconds: float) -> bytes:
    """A Unix time as a 64-bit NTP timestamp."""
    value = seconds + NTP_UNIX_OFFSET
    whole = int(value)
    return struct.pack("!II", whole & 0xFFFFFFFF, int((value - whole) * 2**32) & 0xFFFFFFFF)


def from_ntp(data: bytes) -> float:
    """A 64-bit NTP timestamp as a Unix time."""
    whole, fraction = struct.unpack("!II", data)
    return float(whole - NTP_UNIX_OFFSET + fraction / 2**32)


def query_offset(
    server: str, *, now: Callable[[], float] = time.time, timeout: float = 1.0
) -> float:
    """Seconds to add to ``now()`` to match ``server`` (positive: the local clock is behind)."""
    host, port = split_server(server)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    except OSError as exc:
        raise SntpError(f"{host}: cannot resolve ({exc})") from exc
    request = bytearray(PACKET_SIZE)
    request[0] = _CLIENT_MODE_V4
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        sent_at = now()
        started = time.monotonic()
        request[40:48] = to_ntp(sent_at)
        try:
            sock.sendto(bytes(request), address)
            answer = _receive(sock, bytes(request[40:48]), started + timeout)
        except OSError as exc:
            raise SntpError(f"{host}:{port}: {str(exc) or type(exc).__name__}") from exc
        received_at = sent_at + (time.monotonic() - started)
    server_received = from_ntp(answer[32:40])
    server_sent = from_ntp(answer[40:48])
    return ((server_received - sent_at) + (server_sent - received_at)) / 2


def _receive(sock: socket.socket, origin: bytes, deadline: float) -> bytes:
    """The first well-formed answer to our request; stray packets are ignored."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer in time")
        sock.settimeout(remaining)
        data, _ = sock.recvfrom(512)
        if len(data) < PACKET_SIZE or data[24:32] != origin:
            continue
        if data[0] & 0x07 != _SERVER_MODE:
            continue
        stratum = data[1]
        if data[0] >> 6 == _LEAP_ALARM or stratum == 0 or stratum > _MAX_STRATUM:
            raise SntpError(f"server is unsynchronised or refused us (stratum {stratum})")
        return data
