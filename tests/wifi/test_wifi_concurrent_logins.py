"""Fifty devices present one single-device code at once, to three server processes on one
database: exactly one is let in."""

from __future__ import annotations

import multiprocessing
import subprocess

import pytest
from sqlalchemy import select
from wifi_support import (
    RADCLIENT,
    RADCLIENT_MISSING,
    SECRET,
    add_loopback_ap,
    have_radclient,
    issue,
    serve_in_child,
    uk,
)

from klaremont.wifi.models import GuestDevice, WifiLogin

SERVERS = 3
DEVICES = 50


def _start_client(port: int, code: str, n: int) -> subprocess.Popen[str]:
    line = (
        f'User-Name="{code}",User-Password="{code}",'
        f'Calling-Station-Id="02-00-00-00-00-{n:02X}",Message-Authenticator=0x00\n'
    )
    client = subprocess.Popen(  # noqa: S603 - a fixed binary with our own arguments
        [RADCLIENT, "-r", "3", "-t", "20", f"127.0.0.1:{port}", "auth", SECRET],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert client.stdin is not None
    client.stdin.write(line)
    client.stdin.close()
    return client


def _answer(client: subprocess.Popen[str]) -> str:
    assert client.stdout is not None
    with client.stdout:
        out = client.stdout.read()
    client.wait(timeout=120)
    return out


@pytest.mark.policy("IS-WIFI-GUEST")
def test_fifty_first_logins_with_one_single_device_code_let_exactly_one_in(
    platform, clock, settings
):
    if not have_radclient():
        pytest.skip(RADCLIENT_MISSING)
    at = uk(2026, 3, 4, 11, 0)
    clock.set(at)
    add_loopback_ap(platform)
    code = issue(platform)
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    stop = context.Event()
    children = [
        context.Process(target=serve_in_child, args=(settings, at, ports, stop))
        for _ in range(SERVERS)
    ]
    for child in children:
        child.start()
    try:
        listening = [ports.get(timeout=120) for _ in children]
        clients = [_start_client(listening[n % SERVERS], code, n) for n in range(DEVICES)]
        outputs = [_answer(client) for client in clients]
    finally:
        stop.set()
        for child in children:
            child.join(timeout=30)
    accepted = [out for out in outputs if "Received Access-Accept" in out]
    rejected = [out for out in outputs if "Received Access-Reject" in out]
    assert len(accepted) == 1, outputs
    assert len(rejected) == DEVICES - 1
    with platform.unit_of_work() as uow:
        assert len(list(uow.session.scalars(select(GuestDevice)))) == 1
        rows = list(uow.session.scalars(select(WifiLogin)))
    assert sum(r.accepted for r in rows) == 1
    assert {r.reason for r in rows if not r.accepted} == {"device_limit"}
