"""How far a clock is from a time server: one NTP request with ``ntplib``.

``ntplib`` sends the request, waits (with a timeout) and decodes the answer; this module
adds what the IS-AC-CLOCK live check needs on top: the ``host[:port]`` address format of
``KLAREMONT_TIME_SOURCE``, the offset against the platform's own clock (which tests can
move), and a refusal of answers that are not a synchronised server's reply to our request.
It measures, it never sets the clock.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import ntplib

if TYPE_CHECKING:
    from collections.abc import Callable

NTP_PORT = 123
NTP_VERSION = 4
_SERVER_MODE = 4
_MAX_STRATUM = 15
_LEAP_ALARM = 3  # leap indicator 3: the server clock is not synchronised
_ORIGIN_SLACK = 0.001  # the 64-bit NTP timestamps round our send time by under a nanosecond


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


def query_offset(
    server: str, *, now: Callable[[], float] = time.time, timeout: float = 1.0
) -> float:
    """Seconds to add to ``now()`` to match ``server`` (positive: the local clock is behind)."""
    host, port = split_server(server)
    sent_after = time.time()
    try:
        stats = ntplib.NTPClient().request(host, version=NTP_VERSION, port=port, timeout=timeout)
    except socket.gaierror as exc:
        raise SntpError(f"{host}: cannot resolve ({exc})") from exc
    except ntplib.NTPException as exc:  # no answer within the timeout, or not an NTP packet
        raise SntpError(f"{host}:{port}: {exc}") from exc
    except OSError as exc:  # refused (ICMP port unreachable), network down
        raise SntpError(f"{host}:{port}: {str(exc) or type(exc).__name__}") from exc
    received_by = time.time()
    _refuse_unusable(stats, sent_after, received_by)
    # ntplib measures against the system clock; the platform's clock may differ from it
    system_offset = float(stats.offset)
    return system_offset + (time.time() - now())


def _refuse_unusable(stats: ntplib.NTPStats, sent_after: float, received_by: float) -> None:
    """Refuse an answer that is not a server's reply to this request, or not synchronised."""
    if stats.mode != _SERVER_MODE:
        raise SntpError(f"the answer is not from a server (mode {stats.mode})")
    origin = float(stats.orig_time)
    if not sent_after - _ORIGIN_SLACK <= origin <= received_by + _ORIGIN_SLACK:
        raise SntpError("the answer does not echo our request")
    stratum = int(stats.stratum)
    if stats.leap == _LEAP_ALARM or stratum == 0 or stratum > _MAX_STRATUM:
        raise SntpError(f"server is unsynchronised or refused us (stratum {stratum})")
