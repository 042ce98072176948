"""What the server refuses before any policy: forged or missing Message-Authenticators,
the wrong shared secret, unknown clients; and retransmissions answered from the cache."""

from __future__ import annotations

import hashlib
import hmac
import socket

import pytest
from pyrad import packet as rp
from sqlalchemy import func, select
from wifi_support import SECRET, issue, radclient, uk

from klaremont.platform import Platform
from klaremont.wifi import service_ap
from klaremont.wifi.models import WifiLogin, WifiSession
from klaremont.wifi.radius import dictionary

MAC = "AA-BB-CC-DD-EE-01"


def raw_request(code: str, *, secret: str = SECRET, authenticator: bool = True) -> bytes:
    request = rp.AuthPacket(secret=secret.encode(), dict=dictionary())
    request["User-Name"] = code
    request["User-Password"] = request.PwCrypt(code)
    request["Calling-Station-Id"] = MAC
    if authenticator:
        request.add_message_authenticator()
    return bytes(request.RequestPacket())


def exchange(port: int, data: bytes, *, wait: float = 1.0) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(wait)
        sock.sendto(data, ("127.0.0.1", port))
        try:
            return sock.recv(4096)
        except TimeoutError:
            return None


def logins(platform: Platform) -> int:
    with platform.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(WifiLogin)) or 0


@pytest.mark.policy("IS-WIFI-GUEST")
def test_a_request_without_a_message_authenticator_gets_no_answer(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    code = issue(platform)
    answer = radclient(
        radius.auth_port,
        {"User-Name": code, "User-Password": code, "Calling-Station-Id": MAC},
        message_authenticator=False,
        timeout=1.0,  # no answer is expected: no need to wait long for it
    )
    assert answer.code is None
    assert "No reply" in answer.output
    assert exchange(radius.auth_port, raw_request(code, authenticator=False)) is None
    assert logins(platform) == 0
    assert radius.server.counters.reasons["no Message-Authenticator"] == 2


@pytest.mark.policy("IS-WIFI-GUEST")
def test_a_forged_message_authenticator_gets_no_answer(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    code = issue(platform)
    data = bytearray(raw_request(code))
    data[-1] ^= 0x01  # the last attribute's last byte: Calling-Station-Id or the MAC value
    assert exchange(radius.auth_port, bytes(data)) is None
    assert exchange(radius.auth_port, raw_request(code)) is not None  # the honest one works
    assert logins(platform) == 1


@pytest.mark.policy("IS-WIFI-GUEST")
def test_the_wrong_shared_secret_gets_no_answer(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    code = issue(platform)
    answer = radclient(
        radius.auth_port,
        {"User-Name": code, "User-Password": code, "Calling-Station-Id": MAC},
        secret="not-the-shared-secret-of-this-ap",
        timeout=1.0,  # no answer is expected
    )
    assert answer.code is None
    assert logins(platform) == 0


def test_an_unknown_client_is_ignored(platform, clock):
    from wifi_support import radius_server  # noqa: PLC0415

    clock.set(uk(2026, 3, 4, 10, 0))
    with platform.unit_of_work() as uow:
        service_ap.add(uow, name="elsewhere", network="10.9.0.0/16", secret=SECRET, by="test")
    code = issue(platform)
    with radius_server(platform) as running:
        assert exchange(running.auth_port, raw_request(code)) is None
        assert running.server.counters.reasons == {"unknown client": 1}
    assert logins(platform) == 0


def test_a_retransmission_is_answered_from_the_cache(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    code = issue(platform)
    data = raw_request(code)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(data, ("127.0.0.1", radius.auth_port))
        first = sock.recv(4096)
        sock.sendto(data, ("127.0.0.1", radius.auth_port))
        second = sock.recv(4096)
    assert first == second
    assert first[0] == rp.AccessAccept
    assert logins(platform) == 1
    assert radius.server.counters.duplicates == 1


def test_accounting_start_interim_and_stop_make_one_session(platform, clock, radius):
    clock.set(uk(2026, 3, 4, 10, 0))
    base = {
        "Acct-Session-Id": "5F3A-0001",
        "User-Name": "guest",
        "Calling-Station-Id": MAC,
        "Framed-IP-Address": "10.30.0.9",
    }
    assert radclient(radius.acct_port, {**base, "Acct-Status-Type": "Start"}, kind="acct").code
    clock.set(uk(2026, 3, 4, 10, 5))
    interim = {**base, "Acct-Status-Type": "Interim-Update", "Acct-Input-Octets": "2048"}
    assert radclient(radius.acct_port, interim, kind="acct").code == "Accounting-Response"
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(select(WifiSession)).one()
        assert (row.stopped_at, row.input_octets, row.mac) == (None, 2048, "aa:bb:cc:dd:ee:01")
        assert (row.framed_ip, row.nas_address) == ("10.30.0.9", "127.0.0.1")
    clock.set(uk(2026, 3, 4, 10, 9))
    stop = {**base, "Acct-Status-Type": "Stop", "Acct-Terminate-Cause": "User-Request"}
    assert radclient(radius.acct_port, stop, kind="acct").code == "Accounting-Response"
    with platform.unit_of_work() as uow:
        row = uow.session.scalars(select(WifiSession)).one()
        assert row.stopped_at == uk(2026, 3, 4, 10, 9)
        assert row.stop_cause == "User-Request"
    bad = radclient(
        radius.acct_port,
        {**base, "Acct-Status-Type": "Start"},
        kind="acct",
        secret="not-the-shared-secret-of-this-ap",
        timeout=1.0,  # no answer is expected
    )
    assert bad.code is None


def _signed(attributes: list[tuple[int, bytes]], *, secret: str = SECRET) -> bytes:
    """An Access-Request with these raw attributes and a correct Message-Authenticator
    (so it reaches the attribute decoding of an access point that knows the secret)."""
    body = b"".join(bytes([kind, len(value) + 2]) + value for kind, value in attributes)
    body += bytes([80, 18]) + bytes(16)
    header = bytes([rp.AccessRequest, 7]) + (20 + len(body)).to_bytes(2, "big") + bytes(16)
    data = header + body
    mac = hmac.new(secret.encode(), data, hashlib.md5).digest()  # RFC 3579: HMAC-MD5
    return data[:-16] + mac


def _accounting(attributes: list[tuple[int, bytes]], *, secret: str = SECRET) -> bytes:
    """An Accounting-Request with these raw attributes and a correct Request Authenticator."""
    body = b"".join(bytes([kind, len(value) + 2]) + value for kind, value in attributes)
    header = bytes([rp.AccountingRequest, 9]) + (20 + len(body)).to_bytes(2, "big")
    digest = hashlib.md5(header + bytes(16) + body + secret.encode()).digest()  # noqa: S324 - RFC 2866
    return header + digest + body


START = (40, (1).to_bytes(4, "big"))  # Acct-Status-Type = Start
ACCOUNTING = {
    "a framed address of 3 bytes": _accounting([START, (44, b"S-1"), (8, b"\x0a\x00\x00")]),
    "a status of 2 bytes": _accounting([(40, b"\x00\x01"), (44, b"S-2")]),
    "a session id that is not UTF-8": _accounting([START, (44, b"\xff\xfe"), (1, b"g")]),
    "a NUL in the session id": _accounting([START, (44, b"S\x003"), (1, b"g")]),
    "a NUL in the user name": _accounting([START, (44, b"S-6"), (1, b"g\x00h")]),
    "a NUL in the station id": _accounting([START, (44, b"S-7"), (31, b"AA\x00BB")]),
    "a station id that is not UTF-8": _accounting([START, (44, b"S-4"), (31, b"\xff")]),
    "an octets count of 9 bytes": _accounting([START, (44, b"S-5"), (42, b"\x01" * 9)]),
}

MALFORMED = {
    "empty": b"",
    "one byte": b"\x01",
    "a header only": bytes([1, 1, 0, 20]) + bytes(16),
    "a length past the end": bytes([1, 2, 0x10, 0x00]) + bytes(16),
    "an attribute of length 0": bytes([1, 3, 0, 24]) + bytes(16) + bytes([1, 0, 0, 0]),
    "an attribute of length 1": bytes([1, 4, 0, 23]) + bytes(16) + bytes([1, 1, 0]),
    "an attribute past the end": bytes([1, 5, 0, 24]) + bytes(16) + bytes([1, 200, 0, 0]),
    "4096 bytes of noise": bytes(range(256)) * 16,
    "an unknown code": bytes([99, 6, 0, 20]) + bytes(16),
    "a user name that is not UTF-8": _signed([(1, b"\xff\xfe\x87"), (31, b"AA-BB")]),
    "a NUL in the user name": _signed([(1, b"GUEST\x00CODE"), (31, b"AA-BB")]),
    "no user name": _signed([(31, b"AA-BB-CC-DD-EE-01")]),
    "a 253-byte user name": _signed([(1, b"A" * 253), (31, b"AA-BB")]),
    "a station id that is not UTF-8": _signed([(1, b"GUEST"), (31, b"\xff\xfe")]),
    "a password of 200 bytes": _signed([(1, b"GUEST"), (2, b"\x01" * 200)]),
    "a password not a multiple of 16": _signed([(1, b"GUEST"), (2, b"\x01" * 17)]),
    "an escape in the station id": _signed([(1, b"GUEST"), (31, b"AA\x1b[2J")]),
}


@pytest.mark.policy("IS-WIFI-GUEST")
def test_malformed_packets_are_dropped_and_the_server_answers_the_next(platform, clock, radius):
    """Truncated, overlong, mis-sized and undecodable packets from a known access point (the
    signed ones get past the Message-Authenticator to the attributes): each is dropped or
    refused as input, none is an internal error, and an honest request is answered after."""
    clock.set(uk(2026, 3, 4, 10, 0))
    code = issue(platform)
    for name, data in MALFORMED.items():
        answer = exchange(radius.auth_port, data, wait=0.3)
        assert answer is None or answer[0] == rp.AccessReject, name
        assert "internal error" not in radius.server.counters.reasons, name
        assert exchange(radius.acct_port, data, wait=0.3) is None, name
        assert "internal error" not in radius.server.counters.reasons, name
    for name, data in ACCOUNTING.items():
        answer = exchange(radius.acct_port, data, wait=0.3)
        assert answer is None or answer[0] == rp.AccountingResponse, name
        assert "internal error" not in radius.server.counters.reasons, name
    before = logins(platform)  # the signed ones that reached the policy were refused, recorded
    reply = exchange(radius.auth_port, raw_request(code))
    assert reply is not None
    assert reply[0] == rp.AccessAccept
    assert logins(platform) == before + 1
