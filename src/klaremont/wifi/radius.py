"""RADIUS packets: the dictionary and the checks every request passes before the policy.

Packet encoding, the Request and Response Authenticators and the Message-Authenticator
are the library's (pyrad); this module holds what Klaremont insists on: a request from an
address no access point covers is ignored; an Access-Request without a valid
Message-Authenticator is dropped (the 2024 BlastRADIUS forgery, CVE-2024-3596), which
also drops one sent with the wrong shared secret; an Accounting-Request must carry a
valid Request Authenticator.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pyrad import packet as rp
from pyrad.dictionary import Dictionary

from klaremont.detectors.free_text import has_control_character
from klaremont.wifi.codes import TICKET_PREFIX, ticket_password

DICTIONARY_FILE = Path(__file__).with_name("radius_dictionary.txt")
DUPLICATE_SECONDS = 5.0  # RFC 5080 section 2.2.2: answer a retransmission with the same reply
DUPLICATE_LIMIT = 4096


@cache
def dictionary() -> Any:
    """The attribute dictionary (loaded once)."""
    return Dictionary(str(DICTIONARY_FILE))


class Dropped(Exception):
    """A request that gets no answer; ``reason`` says why (logged, never sent)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_access_request(data: bytes, secret: bytes) -> Any:
    """An authenticated Access-Request, or :class:`Dropped`."""
    try:
        request = rp.AuthPacket(packet=data, secret=secret, dict=dictionary())
    except (rp.PacketError, KeyError, IndexError, ValueError) as exc:
        raise Dropped("malformed") from exc
    if request.code != rp.AccessRequest:
        raise Dropped("not an Access-Request")
    if not request.message_authenticator:
        raise Dropped("no Message-Authenticator")
    if not request.verify_message_authenticator():
        raise Dropped("bad Message-Authenticator (forged, or the wrong shared secret)")
    return request


def decode_accounting_request(data: bytes, secret: bytes) -> Any:
    """An authenticated Accounting-Request, or :class:`Dropped`."""
    try:
        request = rp.AcctPacket(packet=data, secret=secret, dict=dictionary())
    except (rp.PacketError, KeyError, IndexError, ValueError) as exc:
        raise Dropped("malformed") from exc
    if request.code != rp.AccountingRequest:
        raise Dropped("not an Accounting-Request")
    if not request.VerifyAcctRequest():
        raise Dropped("bad Request Authenticator (forged, or the wrong shared secret)")
    if request.message_authenticator and not request.verify_message_authenticator():
        raise Dropped("bad Message-Authenticator")
    return request


def text(request: Any, name: str) -> str | None:
    """The first value of an attribute as text, or ``None`` (a string attribute is read
    from its raw bytes, ``None`` when they are not text; an address or a number through
    the dictionary)."""
    attribute = dictionary().attributes[name]
    raw = OrderedDict.get(request, attribute.code)
    if not raw:
        return None
    if attribute.type != "string":
        try:
            return str(request[name][0])
        except (rp.PacketError, ValueError, IndexError, KeyError, TypeError, struct.error):
            return None  # an address or a number of the wrong size: as if absent
    try:
        value: str = raw[0].decode()
    except UnicodeDecodeError:
        return None
    # a NUL or an escape is no session id, user name or station (PostgreSQL refuses a NUL)
    return None if has_control_character(value) else value


def number(request: Any, name: str) -> int:
    """The first value of an integer attribute, as its number (0 when absent)."""
    raw = OrderedDict.get(request, dictionary().attributes[name].code)
    if not raw or len(raw[0]) != 4:  # noqa: PLR2004 - RADIUS integers are four octets
        return 0
    return int.from_bytes(raw[0], "big")


def password(request: Any) -> str | None:
    """The User-Password, decrypted with the shared secret (PAP), or ``None``."""
    raw = OrderedDict.get(request, 2)
    if not raw:
        return None
    try:
        value: str = request.PwDecrypt(raw[0])
    except (rp.PacketError, UnicodeDecodeError, ValueError):  # longer than 128 bytes, not text
        return None
    return None if has_control_character(value) else value


@dataclass
class _Entry:
    expires: float
    reply: bytes


class DuplicateCache:
    """Recent replies by (client address, port, id, Request Authenticator): RFC 5080."""

    def __init__(self, seconds: float = DUPLICATE_SECONDS, limit: int = DUPLICATE_LIMIT) -> None:
        self.seconds = seconds
        self.limit = limit
        self._entries: OrderedDict[tuple[str, int, int, bytes], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(address: tuple[str, int], data: bytes) -> tuple[str, int, int, bytes]:
        """The identity of a request (source, port, identifier, authenticator)."""
        return (address[0], address[1], data[1] if len(data) > 1 else 0, data[4:20])

    def get(self, key: tuple[str, int, int, bytes]) -> bytes | None:
        """The cached reply of a retransmission, if any."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires < now:
                return None
            return entry.reply

    def put(self, key: tuple[str, int, int, bytes], reply: bytes) -> None:
        """Remember a reply; old entries fall out by age and by count."""
        now = time.monotonic()
        with self._lock:
            self._entries[key] = _Entry(now + self.seconds, reply)
            self._entries.move_to_end(key)
            while self._entries:
                first_key, first = next(iter(self._entries.items()))
                if first.expires >= now and len(self._entries) <= self.limit:
                    break
                del self._entries[first_key]

    def __len__(self) -> int:
        return len(self._entries)


def chap_ticket(request: Any, user_name: str | None, platform_key: str) -> str | None:
    """The login page's ticket of a CHAP request whose response checks out, else ``None``.

    Only the login page's one-time tickets log in with CHAP (their password is derived,
    so it can be checked); a CHAP request for anything else is refused as unknown. A
    request with CHAP-Password and no valid ticket gives ``""`` (refused, not PAP).
    """
    chap = OrderedDict.get(request, 3)
    if not chap:
        return None
    value = chap[0]
    if not user_name or not user_name.startswith(TICKET_PREFIX) or len(value) != 17:  # noqa: PLR2004
        return ""
    ticket = user_name.removeprefix(TICKET_PREFIX)
    challenge_values = OrderedDict.get(request, 60)
    challenge = challenge_values[0] if challenge_values else request.authenticator
    password = ticket_password(platform_key, ticket).encode()
    expected = hashlib.md5(value[:1] + password + challenge).digest()  # noqa: S324 - CHAP
    return ticket if hmac.compare_digest(expected, value[1:]) else ""
